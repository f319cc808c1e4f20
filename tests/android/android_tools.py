"""Paths of the Android demo and the Java tools the tests drive (javac, java + JUnit 4, aapt2).

The tools come from scripts/install_system_packages.sh (Java block); a missing tool fails the test
with that fix rather than skipping it, so CI cannot pass without running the Java tests.
"""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "android_demo"
APP = DEMO / "app"
CORE_PACKAGE = "org.edgedeeplab.portrait.core"
CORE_MAIN = APP / "src/main/java/org/edgedeeplab/portrait/core"
CORE_TESTS = APP / "src/test/java/org/edgedeeplab/portrait/core"
JAVA_SHARE = Path("/usr/share/java")
# com.android.json.jar: Android's own org.json (libandroid-json-java), which the phone ships in its framework.
JUNIT_JARS = ("junit4.jar", "hamcrest-core.jar", "com.android.json.jar")
FRAMEWORK_RES = Path("/usr/share/android-framework-res/framework-res.apk")
FIX = (
    "run scripts/install_system_packages.sh (as root) to install the JDK, junit4, libandroid-json-java, "
    "glslang-tools, aapt and android-framework-res"
)


def require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} not found: {FIX}")
    return path


def run_junit(classpath: str, test_class: str, *jvm_args: str, timeout: int = 300):
    return subprocess.run(
        ["java", *jvm_args, "-cp", classpath, "org.junit.runner.JUnitCore", f"{CORE_PACKAGE}.{test_class}"],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


# ---- aapt2: the manifest and resources linked against the platform --------------------------------

RES = APP / "src/main/res"
MANIFEST = APP / "src/main/AndroidManifest.xml"
BUILD_GRADLE = APP / "build.gradle.kts"
JAVA_SOURCES = APP / "src/main/java"


def run_java_cases(
    classpath: str, test_class: str, folder_property: str, out_dir: Path, cases: list, marker: str, what: str
) -> str:
    """Write `cases` to out_dir/cases.json, run the JUnit `test_class` on them (it reads the folder from
    -D`folder_property`), and check it passed and printed "`marker` ok: NAME:" for every case; its report."""
    (out_dir / "cases.json").write_text(json.dumps({"cases": cases}, indent=1))
    result = run_junit(classpath, test_class, f"-D{folder_property}={out_dir}")
    report = result.stdout + result.stderr
    assert result.returncode == 0, f"Java {what} differs from Python's:\n{report}"
    checked = re.findall(rf"{marker} ok: ([\w.-]+):", report)
    assert sorted(checked) == sorted(case["name"] for case in cases), f"not every case was checked:\n{report}"
    return report


def gradle_setting(name: str) -> str:
    match = re.search(rf'^\s*{name}\s*=\s*"?([\w.]+)"?', BUILD_GRADLE.read_text(), re.MULTILINE)
    assert match, f"{name} not found in {BUILD_GRADLE}"
    return match.group(1)


def merged_manifest(out_dir: Path) -> Path:
    """The manifest as the Gradle plugin's merger hands it to aapt2: package and uses-sdk added."""
    text = MANIFEST.read_text()
    assert "package=" not in text, "AGP 8+ takes the package from `namespace` only; remove package= from the manifest"
    opening = '<manifest xmlns:android="http://schemas.android.com/apk/res/android">'
    assert opening in text
    merged = text.replace(
        opening,
        opening[:-1] + f' package="{gradle_setting("namespace")}">\n'
        f'    <uses-sdk android:minSdkVersion="{gradle_setting("minSdk")}" '
        f'android:targetSdkVersion="{gradle_setting("targetSdk")}" />',
    )
    path = out_dir / "AndroidManifest.xml"
    path.write_text(merged)
    return path


def aapt2_link(res_dir: Path, out_dir: Path):
    aapt2 = require_tool("aapt2")
    if not FRAMEWORK_RES.is_file():
        pytest.fail(f"{FRAMEWORK_RES} not found: {FIX}")
    compiled = out_dir / "compiled.zip"
    result = subprocess.run(
        [aapt2, "compile", "--dir", str(res_dir), "-o", str(compiled)], capture_output=True, text=True, timeout=120
    )
    if result.returncode != 0:
        return result
    return subprocess.run(
        [
            aapt2,
            "link",
            "-I",
            str(FRAMEWORK_RES),
            "--manifest",
            str(merged_manifest(out_dir)),
            "--java",
            str(out_dir / "gen"),
            "-o",
            str(out_dir / "app.apk"),
            str(compiled),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
