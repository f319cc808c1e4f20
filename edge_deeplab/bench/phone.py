"""What a phone is, read over adb before anything is pushed: its model, SoC, Android version, ABIs and
GPU, and whether the user's benchmark_model binary is built for it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

from edge_deeplab.bench.adb import Adb
from edge_deeplab.errors import EdgeDeeplabError

# ELF e_machine values of the binaries a phone can run, by Android ABI.
_ELF_MACHINE_ABI = {0xB7: "arm64-v8a", 0x28: "armeabi-v7a", 0x3E: "x86_64", 0x03: "x86"}

_GETPROP_LINE = re.compile(r"^\[(?P<key>[^\]]+)\]: \[(?P<value>.*)\]$")


def parse_getprop(text: str) -> dict:
    """The phone's properties from `adb shell getprop` output.

    Args:
        text: getprop's output, one `[key]: [value]` line per property.

    Returns:
        key -> value; lines of another shape are skipped.
    """
    props = {}
    for line in text.splitlines():
        match = _GETPROP_LINE.match(line.strip())
        if match:
            props[match.group("key")] = match.group("value")
    return props


def gles_renderer(dumpsys_surfaceflinger: str) -> Optional[str]:
    """The `GLES: vendor, renderer, version` line SurfaceFlinger prints, without its label."""
    for line in dumpsys_surfaceflinger.splitlines():
        line = line.strip()
        if line.startswith("GLES:"):
            return line[len("GLES:") :].strip()
    return None


def device_facts(adb: Adb, timeout: float = 30.0) -> dict:
    """Model, SoC, Android version, ABI and GPU of the phone `adb` points at."""
    result = adb.shell("getprop", timeout)
    if result.exit_code != 0:
        raise EdgeDeeplabError(
            f"device {adb.serial}: `getprop` failed ({(result.stderr or result.stdout).strip()}); "
            f"is it an Android device?"
        )
    props = parse_getprop(result.stdout)
    soc = " ".join(part for part in (props.get("ro.soc.manufacturer"), props.get("ro.soc.model")) if part)
    gpu = gles_renderer(adb.shell("dumpsys SurfaceFlinger", timeout).stdout)
    return {
        "serial": adb.serial,
        "manufacturer": props.get("ro.product.manufacturer"),
        "model": props.get("ro.product.model"),
        "soc": soc or props.get("ro.board.platform") or props.get("ro.hardware"),
        "android": props.get("ro.build.version.release"),
        "sdk": props.get("ro.build.version.sdk"),
        "abi": props.get("ro.product.cpu.abi"),
        "abilist": [abi for abi in props.get("ro.product.cpu.abilist", "").split(",") if abi],
        "gpu": gpu or props.get("ro.hardware.egl") or props.get("ro.hardware.vulkan"),
    }


def check_benchmark_binary(path, abilist: list) -> None:
    """Refuse a binary the phone cannot run, before pushing anything."""
    path = Path(path)
    if not path.is_file():
        raise EdgeDeeplabError(
            f"{path}: benchmark_model binary not found; download TFLite's "
            f"android_aarch64_benchmark_model and pass its path with --benchmark-binary"
        )
    head = path.read_bytes()[:20]
    if head.startswith(b"#!"):
        return  # a wrapper script: the phone's shell decides
    if not head.startswith(b"\x7fELF") or len(head) < 20:
        raise EdgeDeeplabError(
            f"{path}: not an executable (no ELF header); pass TFLite's "
            f"android_aarch64_benchmark_model binary with --benchmark-binary"
        )
    little_endian = head[5] == 1
    machine = int.from_bytes(head[18:20], "little" if little_endian else "big")
    abi = _ELF_MACHINE_ABI.get(machine)
    if abilist and abi not in abilist:
        raise EdgeDeeplabError(
            f"{path}: built for {abi or f'ELF machine {machine:#x}'} but the phone runs "
            f"{', '.join(abilist)}; download the matching build "
            f"(android_aarch64_benchmark_model for arm64-v8a)"
        )
