"""The demo's Android classes (MainActivity, LiteRtSegmenter) compile with javac against core/, the R
class aapt2 generates, and stand-ins for the Android / CameraX / LiteRT signatures they call
(android_api_stubs.java.txt).

What this catches: a core/ change the Android classes were not updated for, a resource id that does
not exist, typos, unhandled checked exceptions. What it cannot: a wrong guess about the real SDK's
signatures (the stand-ins are ours). The real build is the phone step of android_demo/README.md.
"""

import re
import subprocess
from pathlib import Path

from android_tools import CORE_MAIN, JAVA_SHARE, JAVA_SOURCES, RES, aapt2_link, require_tool

STUBS = Path(__file__).with_name("android_api_stubs.java.txt")
ANDROID_SOURCES = sorted((JAVA_SOURCES / "org/edgedeeplab/portrait").glob("*.java"))


def write_stubs(out_dir):
    text = STUBS.read_text()
    paths = []
    for name, body in re.findall(r"^// FILE: (\S+)\n(.*?)(?=^// FILE: |\Z)", text, re.MULTILINE | re.DOTALL):
        path = out_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
        paths.append(str(path))
    return paths


def test_android_classes_compile_against_core_and_resources(tmp_path):
    javac = require_tool("javac")
    linked = aapt2_link(RES, tmp_path)
    assert linked.returncode == 0, linked.stderr
    stubs = write_stubs(tmp_path / "stubs")
    assert len(stubs) > 30
    assert ANDROID_SOURCES, "no Android sources found"
    sources = (
        stubs
        + [str(tmp_path / "gen/org/edgedeeplab/portrait/R.java")]
        + [str(p) for p in ANDROID_SOURCES]
        + [str(p) for p in sorted(CORE_MAIN.glob("*.java"))]
    )
    # org.json is part of the Android framework; Debian's libandroid-json-java is the same implementation.
    result = subprocess.run(
        [
            javac,
            "--release",
            "11",
            "-encoding",
            "UTF-8",
            "-d",
            str(tmp_path / "classes"),
            "-cp",
            str(JAVA_SHARE / "com.android.json.jar"),
            *sources,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"javac failed:\n{result.stdout}{result.stderr}"
    assert (tmp_path / "classes/org/edgedeeplab/portrait/MainActivity.class").is_file()
