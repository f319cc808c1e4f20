"""`edge-deeplab doctor`: each missing part is a row with its fix, the exit status follows the required
parts, and it loads no TensorFlow."""

import json
import os
import subprocess
import sys
from importlib import metadata

import pytest
from click.testing import CliRunner

from edge_deeplab.cli import main
from edge_deeplab.doctor import checks
from edge_deeplab.litert.gpu import INSTALL_HINT


def _fake_adb(folder, device_lines):
    """An executable that answers `adb version` and `adb devices -l` as adb does."""
    path = folder / "adb"
    listing = "".join(f"{line}\\n" for line in device_lines)
    path.write_text(
        "#!/bin/sh\ncase \"$1\" in\n  version) echo 'Android Debug Bridge version 1.0.41';;\n"
        f"  devices) printf 'List of devices attached\\n{listing}\\n';;\n  *) exit 1;;\nesac\n"
    )
    path.chmod(0o755)
    return path


@pytest.fixture
def no_adb_anywhere(tmp_path, monkeypatch):
    """No adb on PATH, no $EDGE_DEEPLAB_ADB and no adbutils wheel with its bundled adb."""
    empty = tmp_path / "empty-path"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv("EDGE_DEEPLAB_ADB", raising=False)
    monkeypatch.setitem(sys.modules, "adbutils", None)  # `import adbutils` raises ImportError


def _row(rows, item):
    return next(row for row in rows if row.item == item)


def test_adb_missing_from_path_is_a_row_with_its_fix(no_adb_anywhere):
    rows = checks.check_adb()
    client, phones = _row(rows, "adb client"), _row(rows, "phones attached")
    assert client.status == phones.status == checks.MISSING
    assert "apt-get install adb" in client.fix and "--adb" in client.fix


def test_a_missing_optional_part_exits_0_and_3_with_strict(no_adb_anywhere, tmp_path):
    result = CliRunner().invoke(main, ["doctor", "--json", str(tmp_path / "doctor.json")])
    assert result.exit_code == 0, result.output
    assert "adb client" in result.output and "apt-get install adb" in result.output
    saved = json.loads((tmp_path / "doctor.json").read_text())
    assert saved["ready"] is True and not saved["strict"]
    adb = next(c for c in saved["checks"] if c["item"] == "adb client")
    assert adb["status"] == "missing" and adb["required"] is False and adb["fix"]

    result = CliRunner().invoke(main, ["doctor", "--strict"])
    assert result.exit_code == 3 and "adb client" in result.output.splitlines()[-1]


def test_a_fake_adb_lists_the_usable_phone(tmp_path):
    adb = _fake_adb(
        tmp_path,
        ["R5CT12 device product:p model:Pixel_7 device:panther transport_id:1", "0123 unauthorized transport_id:2"],
    )
    client, phones = checks.check_adb(str(adb))
    assert client.status == checks.OK and "1.0.41" in client.found
    assert phones.status == checks.OK and "R5CT12 (Pixel_7)" in phones.found and "0123 (unauthorized)" in phones.found


def test_a_phone_that_is_not_authorised_names_the_fix(tmp_path):
    _, phones = checks.check_adb(str(_fake_adb(tmp_path, ["0123 unauthorized transport_id:2"])))
    assert phones.status == checks.PROBLEM and "Allow USB debugging" in phones.fix
    _, phones = checks.check_adb(str(_fake_adb(tmp_path, [])))
    assert phones.status == checks.MISSING and "USB debugging" in phones.fix


def test_a_given_adb_that_is_not_executable_is_reported_not_raised(tmp_path):
    client, _ = checks.check_adb(str(tmp_path / "no-adb"))
    assert client.status == checks.MISSING and str(tmp_path / "no-adb") in client.found and "--adb" in client.fix


def _elf(path, machine):
    path.write_bytes(b"\x7fELF\x02\x01\x01" + bytes(11) + machine.to_bytes(2, "little") + bytes(40))
    return str(path)


def test_benchmark_model_is_checked_for_the_phone_abi(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    assert checks.check_benchmark_binary().status == checks.MISSING
    assert "--benchmark-binary" in checks.check_benchmark_binary().fix
    assert checks.check_benchmark_binary(_elf(tmp_path / "arm", 0xB7)).status == checks.OK
    wrong = checks.check_benchmark_binary(_elf(tmp_path / "x86", 0x3E))
    assert wrong.status == checks.PROBLEM and "x86_64" in wrong.found
    assert checks.check_benchmark_binary(str(tmp_path / "absent")).status == checks.MISSING
    _elf(tmp_path / "benchmark_model", 0xB7)  # in this folder: found without being named
    assert checks.check_benchmark_binary().found.startswith("benchmark_model")


def test_a_missing_package_is_required_and_fails_the_doctor(monkeypatch, tmp_path):
    monkeypatch.setenv("EDGE_DEEPLAB_ADB", str(_fake_adb(tmp_path, [])))  # no real adb server started by a test
    real = metadata.version

    def version(name):
        if name in ("tensorflow", "tensorflow-cpu"):
            raise metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(metadata, "version", version)
    tensorflow = _row(checks.check_packages(), "tensorflow")
    assert tensorflow.status == checks.MISSING and tensorflow.required and "pip install" in tensorflow.fix
    result = CliRunner().invoke(main, ["doctor"])
    assert result.exit_code == 3 and "tensorflow" in result.output.splitlines()[-1]


def test_tf_keras_must_match_tensorflow(monkeypatch):
    versions = {"tensorflow": "2.21.0", "tf-keras": "2.19.0"}
    monkeypatch.setattr(metadata, "version", lambda name: versions.get(name) or "1.0")
    keras = _row(checks.check_packages(), "tf-keras")
    assert keras.status == checks.PROBLEM and "tf-keras==2.21.*" in keras.fix


@pytest.mark.parametrize(
    "probe, status",
    [
        ({"loader": None, "error": "libvulkan.so.1: cannot open shared object file"}, checks.MISSING),
        ({"loader": "libvulkan.so.1", "devices": []}, checks.MISSING),
        (
            {
                "loader": "libvulkan.so.1",
                "devices": [
                    {"name": "llvmpipe (LLVM 15.0.6, 256 bits)", "vendor": 0x10005, "driver_info": "Mesa 22.3.6"}
                ],
            },
            checks.PROBLEM,
        ),
        (
            {
                "loader": "libvulkan.so.1",
                "devices": [
                    {
                        "name": "llvmpipe (LLVM 15.0.6, 256 bits)",
                        "vendor": 0x10005,
                        "driver_info": "Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6)",
                    }
                ],
            },
            checks.OK,
        ),
    ],
)
def test_the_gpu_gate_needs_a_vulkan_adapter_on_mesa_25(monkeypatch, probe, status):
    monkeypatch.setattr(checks, "vulkan_adapters", lambda timeout: probe)
    adapter = _row(checks.check_vulkan(), "Vulkan adapter")
    assert adapter.status == status and not adapter.required
    assert (adapter.fix == INSTALL_HINT) == (status != checks.OK)


def test_the_vulkan_probe_answers_on_this_machine():
    """Whatever this machine has, the probe says it in one JSON line instead of crashing or hanging."""
    probe = checks.vulkan_adapters(timeout=60)
    assert "devices" in probe or probe.get("error")


def test_missing_shared_assets_name_the_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("EDGE_DEEPLAB_SHARED", str(tmp_path / "nowhere"))
    (folder,) = checks.check_shared()
    assert folder.status == checks.MISSING and "EDGE_DEEPLAB_SHARED" in folder.fix
    (tmp_path / "shared" / "weights").mkdir(parents=True)
    (tmp_path / "shared" / "weights" / "w.h5").write_bytes(b"x")
    monkeypatch.setenv("EDGE_DEEPLAB_SHARED", str(tmp_path / "shared"))
    rows = checks.check_shared()
    assert _row(rows, "ImageNet backbone weights").status == checks.OK
    assert _row(rows, "real photos: ccp-person").status == checks.MISSING


def test_doctor_loads_no_tensorflow(tmp_path):
    script = (
        "import sys\nfrom click.testing import CliRunner\nfrom edge_deeplab.cli import main\n"
        f"result = CliRunner().invoke(main, ['doctor', '--json', {str(tmp_path / 'd.json')!r}])\n"
        "print(result.exit_code, 'tensorflow' in sys.modules, 'ai_edge_litert' in sys.modules)\n"
    )
    environment = dict(os.environ, EDGE_DEEPLAB_ADB=str(_fake_adb(tmp_path, [])))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=environment)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-2:] == ["False", "False"], done.stdout
    assert json.loads((tmp_path / "d.json").read_text())["checks"]


def test_gpu_compile_says_why_there_is_no_gpu(monkeypatch):
    from edge_deeplab.litert import gpu

    log = "E0000 webgpu.cc:12] No adapters found\n"
    monkeypatch.setattr(
        gpu,
        "run_on_gpu",
        lambda path, timeout_s: gpu.GpuRun(
            measured={"error": "No adapters found"}, log=log, adapter=None, fallbacks=()
        ),
    )
    row = checks.check_gpu_compile()
    assert row.status == checks.MISSING and "No adapters found" in row.found and row.fix == INSTALL_HINT


def test_the_adapter_check_agrees_with_the_gpu_gate_on_this_machine():
    """Where the quick Vulkan check says the gate can run, LiteRT's GPU accelerator compiles the shipped model
    whole (and where LiteRT finds no adapter, the quick check does not say it can)."""
    adapter = _row(checks.check_vulkan(timeout=60), "Vulkan adapter")
    compiled = checks.check_gpu_compile()
    assert (adapter.status == checks.OK) == (compiled.status == checks.OK), (adapter, compiled)
