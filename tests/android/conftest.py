"""Fixtures for the Android demo's tests: the demo's plain-Java core compiled with javac (no Gradle,
no Android SDK) with its JUnit tests, and tiny real TFLite models carrying their contract."""

import subprocess

import pytest

from android_tools import CORE_MAIN, CORE_TESTS, FIX, JAVA_SHARE, JUNIT_JARS, require_tool


@pytest.fixture(scope="session")
def junit_classpath(tmp_path_factory) -> str:
    """The core classes and their JUnit tests compiled with javac; returns the java -cp value."""
    javac = require_tool("javac")
    require_tool("java")
    jars = [JAVA_SHARE / jar for jar in JUNIT_JARS]
    missing = [str(jar) for jar in jars if not jar.is_file()]
    if missing:
        pytest.fail(f"JUnit 4 not found ({', '.join(missing)}): {FIX}")
    out = tmp_path_factory.mktemp("java-classes")
    sources = sorted(str(p) for p in list(CORE_MAIN.glob("*.java")) + list(CORE_TESTS.glob("*.java")))
    # --release 11: the language level of app/build.gradle.kts; -Werror keeps the core warning-free.
    result = subprocess.run(
        [
            javac,
            "--release",
            "11",
            "-Xlint:all",
            "-Werror",
            "-encoding",
            "UTF-8",
            "-d",
            str(out),
            "-cp",
            ":".join(map(str, jars)),
            *sources,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        pytest.fail(f"javac failed:\n{result.stdout}{result.stderr}")
    return ":".join([str(out)] + [str(jar) for jar in jars])


@pytest.fixture(scope="session")
def tiny_tflite(tmp_path_factory):
    """name -> (path, contract): one real converted model per output kind and quantisation case."""
    import tiny_models

    return tiny_models.build(tmp_path_factory.mktemp("tiny-tflite"))
