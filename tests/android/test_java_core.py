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
    untested = {p.stem for p in CORE_MAIN.glob("*.java")} - {name[:-len("Test")] for name in JUNIT_CLASSES}
    # Exceptions, the output-kind enum and the tensor holders are exercised through the classes that use them.
    assert untested <= {"ContractException", "OutputKind", "TensorSpec", "TensorData"}, f"no JUnit test for {sorted(untested)}"


@pytest.mark.parametrize("test_class", JUNIT_CLASSES)
def test_junit(junit_classpath, test_class):
    result = run_junit(junit_classpath, test_class)
    report = result.stdout + result.stderr
    assert result.returncode == 0, f"{test_class} failed:\n{report}"
    ran = re.search(r"OK \((\d+) tests?\)", report)
    assert ran and int(ran.group(1)) > 0, f"{test_class} ran no test:\n{report}"
