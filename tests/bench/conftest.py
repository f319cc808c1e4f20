"""Fixtures for the device benchmark tests: the real adb client and server on a private port, and
stand-in phones (adbd_standin.py) on 127.0.0.1 that replay genuine benchmark_model output."""

import os
import shutil
import socket
import subprocess
import time

import pytest

from adbd_standin import AdbdStandin
from bench_captures import by_flags


def _adb_client() -> str:
    """$EDGE_DEEPLAB_ADB, else the adb the adbutils wheel bundles (x86-64), else Debian's adb on PATH."""
    configured = os.environ.get("EDGE_DEEPLAB_ADB")
    if configured:
        return configured
    try:
        import adbutils

        bundled = adbutils.adb_path()
        if os.path.isfile(bundled) and os.access(bundled, os.X_OK):
            return bundled
    except Exception:  # no binary in this platform's wheel
        pass
    found = shutil.which("adb")
    if found:
        return found
    pytest.skip("no adb client: the adbutils wheel has none for this platform; run scripts/install_system_packages.sh")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class AdbServer:
    """An adb server on a private port, so the tests never touch a developer's own server or phones."""

    def __init__(self, path: str, home: str):
        self.path = path
        # The server keeps its key in $HOME/.android: a throw-away HOME keeps the user's own key untouched.
        # (Clients talking to a running server write nothing there.)
        self.env = dict(os.environ, ANDROID_ADB_SERVER_PORT=str(_free_port()), HOME=home)

    def run(self, *args, timeout=30):
        return subprocess.run(
            [self.path, *args], env=self.env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=timeout
        )


@pytest.fixture(scope="session")
def adb_server(tmp_path_factory):
    server = AdbServer(_adb_client(), str(tmp_path_factory.mktemp("adb_home")))
    started = server.run("start-server", timeout=60)
    if started.returncode != 0:
        pytest.fail(f"adb start-server failed: {started.stderr}")
    saved = {key: os.environ.get(key) for key in ("ANDROID_ADB_SERVER_PORT", "EDGE_DEEPLAB_ADB")}
    # The library under test runs adb itself: point it at this server and client.
    os.environ.update(ANDROID_ADB_SERVER_PORT=server.env["ANDROID_ADB_SERVER_PORT"], EDGE_DEEPLAB_ADB=server.path)
    try:
        yield server
    finally:
        server.run("kill-server")
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture
def phones(adb_server):
    """Factory: start a stand-in phone, `adb connect` to it, return it; all are disconnected afterwards."""
    started = []

    def start(behaviour=None, **options):
        standin = AdbdStandin(behaviour or by_flags(), **options)
        port = standin.start()
        standin.serial = f"127.0.0.1:{port}"
        started.append(standin)
        if options.get("mode") == "offline":
            # `adb connect` waits 10 s for a CNXN that never comes; the transport is listed as offline
            # as soon as the TCP connection stands.
            connecting = subprocess.Popen(
                [adb_server.path, "connect", standin.serial],
                env=adb_server.env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            standin.connect_process = connecting
        else:
            adb_server.run("connect", standin.serial)
        _wait_for_state(adb_server, standin.serial)
        return standin

    yield start
    for standin in started:
        adb_server.run("disconnect", standin.serial)
        standin.stop()
        process = getattr(standin, "connect_process", None)
        if process is not None:
            process.kill()
            process.wait()


def _wait_for_state(adb_server, serial, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        listed = adb_server.run("devices").stdout
        if any(line.split()[:1] == [serial] for line in listed.splitlines()):
            return
        time.sleep(0.1)
    pytest.fail(f"{serial} never appeared in `adb devices`")


@pytest.fixture
def arm64_binary(tmp_path):
    """A file with the ELF header of an aarch64 executable: what the phone is told to run. The stand-in
    does not execute it; it replays captured benchmark_model output instead."""
    header = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8) + (2).to_bytes(2, "little") + (0xB7).to_bytes(2, "little")
    path = tmp_path / "android_aarch64_benchmark_model"
    path.write_bytes(header + bytes(64 - len(header)) + b"stand-in payload")
    return path


@pytest.fixture
def tiny_model(tmp_path):
    """Bytes named .tflite to push; the stand-in never loads them (it replays genuine output)."""
    path = tmp_path / "person.tflite"
    path.write_bytes(b"\x1c\x00\x00\x00TFL3" + bytes(100))
    return path
