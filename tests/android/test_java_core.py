"""The Android demo's logic (android_demo/app/src/test/java/.../core/*Test.java) on the JVM with JUnit 4.

One pytest test per JUnit class, so a failure names the class and shows JUnit's report. The same
classes run in Android Studio with `./gradlew test`. ParityTest and MaskParityTest need data made by
Python and run from test_parity.py and test_mask_parity.py.
"""

import re

import pytest

from android_tools import CORE_MAIN, CORE_TESTS, run_junit

DATA_DRIVEN = {"ParityTest", "MaskParityTest"}
JUNIT_CLASSES = sorted(p.stem for p in CORE_TESTS.glob("*Test.java") if p.stem not in DATA_DRIVEN)


def test_every_core_class_has_its_junit_test():
    untested = {p.stem for p in CORE_MAIN.glob("*.java")} - {name[: -len("Test")] for name in JUNIT_CLASSES}
    # Exceptions, the output-kind enum and the tensor holders are exercised through the classes that use them.
    assert untested <= {"ContractException", "OutputKind", "TensorSpec", "TensorData"}, (
        f"no JUnit test for {sorted(untested)}"
    )


@pytest.mark.parametrize("test_class", JUNIT_CLASSES)
def test_junit(junit_classpath, test_class):
    result = run_junit(junit_classpath, test_class)
    report = result.stdout + result.stderr
    assert result.returncode == 0, f"{test_class} failed:\n{report}"
    ran = re.search(r"OK \((\d+) tests?\)", report)
    assert ran and int(ran.group(1)) > 0, f"{test_class} ran no test:\n{report}"


def test_the_frame_benchmark_runs_on_the_shipped_assets(junit_classpath, tmp_path):
    """benchmarks/android_frame_cpu.py's Java side, a few frames: it must keep compiling against the
    core and read the shipped assets (its times are not checked here: benchmarks print numbers)."""
    import json
    import subprocess

    from android_tools import DEMO, REPO

    out = tmp_path / "bench"
    compiled = subprocess.run(
        [
            "javac",
            "--release",
            "11",
            "-d",
            str(out),
            "-cp",
            junit_classpath,
            str(REPO / "benchmarks/android/FrameCpuBenchmark.java"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert compiled.returncode == 0, compiled.stderr
    ran = subprocess.run(
        [
            "java",
            "-cp",
            f"{out}:{junit_classpath}",
            "org.edgedeeplab.portrait.bench.FrameCpuBenchmark",
            str(DEMO / "app/src/main/assets"),
            "1",
            "3",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ran.returncode == 0, ran.stderr
    result = json.loads(ran.stdout)
    assert result["frame"] == [480, 640] and result["model_output"] == [321, 321, 2]
    assert set(result["variants"]) == {"smooth+main_subject", "smooth", "nosmooth"}
