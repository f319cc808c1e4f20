"""The benchmark's folder on the phone: made fresh, removed down to what this run created and no further,
and the questions a failed run raises (is the phone still there? what did its shell say?)."""

from __future__ import annotations

from typing import Optional

from edge_deeplab.bench.adb import Adb, quote
from edge_deeplab.errors import EdgeDeeplabError


def exists(adb: Adb, path: str, test: str) -> bool:
    """Whether `test TEST PATH` succeeds in the phone's shell.

    Args:
        adb: the phone's Adb.
        path: the path on the phone.
        test: the test(1) flag, e.g. "-e" (exists), "-d" (folder), "-x" (executable).

    Returns:
        True when the test passed.
    """
    return adb.shell(quote("test", test, path), timeout=30.0).exit_code == 0


def device_lost(adb: Adb) -> Optional[str]:
    """After a failed run: 'went offline' (or 'disconnected', ...) when the phone is no longer usable, else None.
    A phone that drops off mid-run makes the run look like a benchmark_model failure otherwise."""
    try:
        listed = {device.serial: device.state for device in adb.devices(timeout=15.0)}
    except EdgeDeeplabError:
        return None  # adb itself is in trouble: the run's own error says more
    state = listed.get(adb.serial)
    if state == "device":
        return None
    return "disconnected" if state is None else f"went {state}"


def last_line(text: str) -> str:
    """The last non-blank line of `text`, stripped ("" when there is none): what a failed command said last.

    Args:
        text: a command's output.
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def shell_ok(adb: Adb, command: str, what: str) -> None:
    """Run `command` in the phone's shell; a one-line EdgeDeeplabError naming `what` and the last line the shell printed
    when it fails.

    Args:
        adb: the phone's Adb.
        command: the shell command, quoted already.
        what: what the command does, for the message (e.g. "create /data/local/tmp").
    """
    result = adb.shell(command, timeout=30.0)
    if result.exit_code != 0:
        reason = (result.stderr or result.stdout).strip().splitlines()
        raise EdgeDeeplabError(
            f"could not {what} on {adb.serial}: {reason[-1] if reason else result.exit_code}; "
            f"choose a writable folder with --remote-dir"
        )


def stop_remote(adb: Adb, remote_binary: str) -> None:
    """After a time-out: make sure no benchmark keeps the phone busy (best effort)."""
    try:
        adb.shell(quote("pkill", "-f", remote_binary), timeout=15.0)
    except EdgeDeeplabError:
        pass


def remove_pushed(adb: Adb, pushed: list, created_dirs: list) -> str:
    """Remove exactly the files we pushed, then the folders this run created (innermost first); never
    anything else."""
    try:
        result = adb.shell(quote("rm", "-f", *pushed), timeout=30.0) if pushed else None
        for folder in created_dirs:
            adb.shell(quote("rmdir", folder), timeout=30.0)  # fails harmlessly if not empty
    except EdgeDeeplabError as error:
        return f"could not remove {', '.join(pushed or created_dirs)}: {error}"
    if result is not None and result.exit_code != 0:
        return f"could not remove {', '.join(pushed)}: {(result.stderr or result.stdout).strip()}"
    return f"removed {len(pushed)} pushed file(s)" + (f" and {', '.join(created_dirs)}" if created_dirs else "")
