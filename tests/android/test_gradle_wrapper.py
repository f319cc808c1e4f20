"""The Gradle wrapper is committed, so `./gradlew installDebug` (what export-android suggests) works on
a fresh clone: the scripts, Gradle's own wrapper jar (the one android_demo/README.md names by its
SHA-256) and the properties pointing at the Gradle version the Android Gradle plugin needs."""

import hashlib
import os
import re
import zipfile

from android_tools import DEMO

WRAPPER_JAR = DEMO / "gradle/wrapper/gradle-wrapper.jar"


def test_the_wrapper_files_are_present_and_runnable():
    for name in (
        "gradlew",
        "gradlew.bat",
        "gradle/wrapper/gradle-wrapper.jar",
        "gradle/wrapper/gradle-wrapper.properties",
    ):
        assert (DEMO / name).is_file(), f"android_demo/{name} missing"
    assert os.access(DEMO / "gradlew", os.X_OK), "gradlew must be executable"
    assert "gradle/wrapper/gradle-wrapper.jar" in (DEMO / "gradlew").read_text()


def test_the_jar_is_the_one_the_readme_names_and_is_gradles_wrapper():
    digest = hashlib.sha256(WRAPPER_JAR.read_bytes()).hexdigest()
    assert digest in (DEMO / "README.md").read_text(), "the README must name the wrapper jar's SHA-256"
    with zipfile.ZipFile(WRAPPER_JAR) as jar:
        manifest = jar.read("META-INF/MANIFEST.MF").decode()
        assert "Main-Class: org.gradle.wrapper.GradleWrapperMain" in manifest
        assert "org/gradle/wrapper/GradleWrapperMain.class" in jar.namelist()


def test_the_properties_name_the_gradle_the_plugin_needs():
    properties = (DEMO / "gradle/wrapper/gradle-wrapper.properties").read_text()
    gradle = re.search(r"gradle-([\d.]+)-bin\.zip", properties).group(1)
    versions = (DEMO / "gradle/libs.versions.toml").read_text()
    assert f"needs Gradle {gradle}" in versions, f"libs.versions.toml's AGP comment and the wrapper's {gradle} disagree"
