"""The host side of adb: the real `adb` client, run as a subprocess.

We never speak the adb protocol ourselves. The client is, in order: the path the caller passes,
$EDGE_DEEPLAB_ADB, the `adb` on PATH (the user's Android SDK, so we do not restart their server with
another version), and finally the adb that the adbutils wheel bundles (adb 36). ANDROID_ADB_SERVER_PORT
is honoured as adb itself honours it.

`adb shell` runs over the shell v2 protocol when the phone supports it (Android 7+), which gives us the
remote exit code and keeps stdout and stderr apart.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Optional

from edge_deeplab.errors import EdgeDeeplabError

DEVICE_STATES_HELP = {
    "unauthorized": "unlock the phone and accept the 'Allow USB debugging?' prompt, then run the command again",
    "offline": "reconnect the USB cable (or run `adb kill-server`), then run the command again",
    "no permissions": "add a udev rule for the phone (see `adb devices` help) or run adb as a user allowed to use USB",
    "authorizing": "wait a moment for the phone to finish authorising this computer, then run the command again",
    "connecting": "wait a moment for the connection to finish, then run the command again",
}


_DETAIL = re.compile(r"[a-z_]+:\S*")
#: What to do when the phone does not answer in time: only a push waits as long as --timeout says.
_FROZEN_FIX = "check the phone: is it frozen or asleep? (`adb devices`; unplug and reconnect it)"


class AdbTimeout(EdgeDeeplabError):
    """An adb command did not finish in time; `output` holds what it printed until then."""

    def __init__(self, message: str, output: str = ""):
        super().__init__(message)
        self.output = output


@dataclasses.dataclass(frozen=True)
class AdbDevice:
    """A phone as `adb devices -l` lists it.

    Args:
        serial: its adb serial.
        state: "device" when usable; otherwise adb's word for why not ("offline", "unauthorized", ...).
        details: the listing's key:value details (product, model, device, transport_id).
    """

    serial: str
    state: str  # "device" when usable; "offline", "unauthorized", ...
    details: dict = dataclasses.field(default_factory=dict)  # product, model, device, transport_id


@dataclasses.dataclass(frozen=True)
class ShellResult:
    """What `adb shell` returned.

    Args:
        exit_code: the remote command's exit code (shell v2 protocol).
        stdout: what it printed on standard output.
        stderr: what it printed on standard error.
    """

    exit_code: int
    stdout: str
    stderr: str


def find_adb(explicit: Optional[str] = None) -> str:
    """Path of the adb client to use (see the module docstring for the order)."""
    candidate = explicit or os.environ.get("EDGE_DEEPLAB_ADB")
    if candidate:
        if not (Path(candidate).is_file() and os.access(candidate, os.X_OK)):
            raise EdgeDeeplabError(
                f"{candidate}: not an executable adb client; pass the path of `adb` "
                f"(Android SDK platform-tools, Debian's adb package, or the adbutils wheel)"
            )
        return str(candidate)
    on_path = shutil.which("adb")
    if on_path:
        return on_path
    try:
        import adbutils

        bundled = adbutils.adb_path()
    except Exception:  # adbutils missing or without a bundled binary for this platform
        bundled = None
    if bundled and os.access(bundled, os.X_OK):
        return bundled
    raise EdgeDeeplabError(
        "no adb client found: install Android platform-tools (or `apt-get install adb`), or pass --adb PATH"
    )


@dataclasses.dataclass(frozen=True)
class Adb:
    """One adb client; `serial` picks the phone (adb -s) once one is chosen."""

    path: str
    serial: Optional[str] = None

    def for_device(self, serial: str) -> "Adb":
        """This client with `serial` chosen (adb -s SERIAL).

        Args:
            serial: the phone's adb serial.
        """
        return dataclasses.replace(self, serial=serial)

    def run(self, args: list[str], timeout: float, fix: str = _FROZEN_FIX) -> subprocess.CompletedProcess:
        """Run `adb [-s SERIAL] ARGS` on this computer; a one-line error when it cannot run, AdbTimeout (with what it
        printed and `fix`) when it takes longer than `timeout`.

        Args:
            args: adb's arguments.
            timeout: seconds it may take.
            fix: what the timeout's message tells the user to do.

        Returns:
            The CompletedProcess (stdout and stderr as bytes).
        """
        command = [self.path] + (["-s", self.serial] if self.serial else []) + list(args)
        try:
            return subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired as expired:
            # subprocess.run has killed the adb client; on the phone adbd hangs up the shell, which
            # ends the remote process with it.
            partial = (expired.stdout or b"") + (expired.stderr or b"")
            raise AdbTimeout(
                f"`adb {' '.join(args)[:120]}` did not finish within {timeout:g} s; {fix}", _text(partial)
            ) from None
        except OSError as error:
            raise EdgeDeeplabError(
                f"{self.path}: cannot run the adb client ({error.strerror}); pass a working adb with --adb PATH"
            ) from None

    def devices(self, timeout: float = 30.0) -> list[AdbDevice]:
        """The phones adb sees (`adb devices -l`), whatever their state.

        Args:
            timeout: seconds adb may take.
        """
        result = self.run(["devices", "-l"], timeout)
        if result.returncode != 0:
            raise EdgeDeeplabError(
                f"`adb devices` failed: {_last_line(result.stderr)}; "
                f"check the adb installation (adb kill-server, then try again)"
            )
        return parse_devices(_text(result.stdout))

    def shell(self, command: str, timeout: float) -> ShellResult:
        """Run one shell command on the phone; returns its exit code, stdout and stderr."""
        result = self.run(["shell", command], timeout)
        return ShellResult(result.returncode, _text(result.stdout), _text(result.stderr))

    def push(self, local, remote: str, timeout: float) -> None:
        """Copy a file to the phone; a one-line error naming the file and adb's reason when it fails.

        Args:
            local: the file on this computer.
            remote: the path on the phone.
            timeout: seconds the copy may take.
        """
        result = self.run(
            ["push", str(local), remote], timeout, "raise --timeout (a large file on a slow link) or check the phone"
        )
        if result.returncode != 0:
            reason = _error_line(result.stderr + result.stdout) or f"exit code {result.returncode}"
            raise EdgeDeeplabError(
                f"could not push {Path(local).name} to {remote}: {reason}; "
                f"choose a writable folder with --remote-dir (e.g. /data/local/tmp/...)"
            )


def parse_devices(text: str) -> list[AdbDevice]:
    """Parse `adb devices -l`."""
    devices = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("*") or line.startswith("List of devices"):
            continue
        # The state is one word, except "no permissions"; details are key:value words.
        parts = line.split()
        serial = parts[0]
        state = parts[1] if len(parts) > 1 else "unknown"
        if state == "no":
            state = "no permissions"
        details = dict(part.split(":", 1) for part in parts[2:] if _DETAIL.fullmatch(part))
        devices.append(AdbDevice(serial=serial, state=state, details=details))
    return devices


def choose_device(devices: list[AdbDevice], serial: Optional[str]) -> AdbDevice:
    """The phone to use: the one named by --serial, or the only one connected. Errors name the fix."""
    if serial:
        matches = [device for device in devices if device.serial == serial]
        if not matches:
            known = ", ".join(device.serial for device in devices) or "none"
            raise EdgeDeeplabError(
                f"no device with serial {serial!r} (connected: {known}); pick one from `adb devices`"
            )
        device = matches[0]
    else:
        if not devices:
            raise EdgeDeeplabError(
                "no Android device connected: plug in a phone with USB debugging on "
                "(or `adb connect HOST:PORT`), then check `adb devices`"
            )
        if len(devices) > 1:
            listed = ", ".join(f"{device.serial} ({device.state})" for device in devices)
            raise EdgeDeeplabError(f"{len(devices)} devices connected ({listed}): choose one with --serial")
        device = devices[0]
    if device.state != "device":
        fix = DEVICE_STATES_HELP.get(device.state, "check the phone and `adb devices`")
        raise EdgeDeeplabError(f"device {device.serial} is {device.state}: {fix}")
    return device


def quote(*words: str) -> str:
    """A shell command line for the phone's /system/bin/sh."""
    return " ".join(shlex.quote(str(word)) for word in words)


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _error_line(data: bytes) -> str:
    """adb's own error line ("adb: error: failed to copy ...: remote couldn't create file: ..."), else the last line.

    adb 29 prints it before its "0 files pushed" summary, adb 36 after."""
    lines = [line.strip() for line in _text(data).splitlines() if line.strip()]
    errors = [line for line in lines if "error" in line.lower() or "failed" in line.lower()]
    line = (errors or lines or [""])[-1]
    return line[len("adb: error: ") :] if line.startswith("adb: error: ") else line


def _last_line(data: bytes) -> str:
    lines = [line.strip() for line in _text(data).splitlines() if line.strip()]
    return lines[-1] if lines else ""
