"""The demo's manifest and resources, checked by Android's own packaging tool.

`aapt2 compile` every resource, then `aapt2 link` them with the manifest against the platform's
framework-res.apk (Debian's, API 29): unknown attributes, missing resources, bad references, a theme
parent or style attribute that does not exist, all fail here as they would in Android Studio. The
Android Gradle plugin merges the package name (namespace) and minSdk/targetSdk from
app/build.gradle.kts into the manifest; the test does the same from that file.
"""

import re
import shutil
import subprocess

import pytest

from android_tools import JAVA_SOURCES, RES, aapt2_link, gradle_setting


@pytest.fixture(scope="module")
def linked(tmp_path_factory):
    out = tmp_path_factory.mktemp("aapt2")
    result = aapt2_link(RES, out)
    assert result.returncode == 0, f"aapt2 failed:\n{result.stdout}{result.stderr}"
    return out


def test_manifest_and_resources_link_against_the_framework(linked):
    apk = linked / "app.apk"
    assert apk.is_file() and apk.stat().st_size > 0
    aapt = shutil.which("aapt")
    if aapt:  # aapt (v1) reads the linked manifest back: what a launcher and the Play store would see
        badging = subprocess.run([aapt, "dump", "badging", str(apk)], capture_output=True, text=True).stdout
        assert "package: name='org.edgedeeplab.portrait'" in badging
        assert "sdkVersion:'24'" in badging
        assert "uses-permission: name='android.permission.CAMERA'" in badging
        assert "launchable-activity: name='org.edgedeeplab.portrait.MainActivity'" in badging


def test_every_resource_the_code_uses_exists(linked):
    r_java = (linked / "gen/org/edgedeeplab/portrait/R.java").read_text()
    declared = set()
    for kind, body in re.findall(r"public static final class (\w+) \{(.*?)\n\s*\}", r_java, re.DOTALL):
        declared |= {(kind, name) for name in re.findall(r"public static final int (\w+)\s*=", body)}
    used = set()
    for source in JAVA_SOURCES.rglob("*.java"):
        used |= set(re.findall(r"\bR\.(\w+)\.(\w+)", source.read_text()))
    assert used, "the app's code references no resources: the pattern is wrong"
    assert used <= declared, f"missing resources: {sorted(used - declared)}"


def test_a_broken_resource_fails_the_check(tmp_path):
    """The check must be able to fail: a misspelt attribute and a dangling reference are caught."""
    broken = tmp_path / "res"
    shutil.copytree(RES, broken)
    layout = broken / "layout/activity_main.xml"
    text = layout.read_text()
    assert 'android:fontFamily="monospace"' in text
    layout.write_text(text.replace('android:fontFamily="monospace"', 'android:fontFamly="monospace"'))
    result = aapt2_link(broken, tmp_path)
    assert result.returncode != 0 and "fontFamly" in result.stderr

    shutil.rmtree(broken)
    shutil.copytree(RES, broken)
    (broken / "values/strings.xml").write_text(
        (broken / "values/strings.xml").read_text().replace('name="app_name"', 'name="app_title"')
    )
    result = aapt2_link(broken, tmp_path)
    assert result.returncode != 0 and "app_name" in result.stderr


def test_min_sdk_is_24_and_the_asset_names_match_the_exporter():
    from edge_deeplab.deploy.android import CONTRACT_ASSET, MODELS_ASSET

    assert gradle_setting("minSdk") == "24"
    segmenter = (JAVA_SOURCES / "org/edgedeeplab/portrait/LiteRtSegmenter.java").read_text()
    # The model files themselves are named in models.json, which the exporter writes.
    assert f'CONTRACT_ASSET = "{CONTRACT_ASSET}"' in segmenter and f'MODELS_ASSET = "{MODELS_ASSET}"' in segmenter
