"""What this machine can do before a long run: packages, the GPU-delegate gate, adb and phones,
benchmark_model and the offline assets, each as one row with the fix for what is missing.

Fast on purpose: package versions come from the installed metadata (nothing imports TensorFlow or
LiteRT here), the Vulkan adapter is listed by a short child process that calls the Vulkan loader
directly, and adb gets a few seconds. What is *required* is what the main job (`edge-deeplab
pipeline` on its defaults) cannot run without: Python and the packages. The rest is optional: without
a Vulkan adapter the GPU verdict says NOT MEASURED, without a phone or benchmark_model the phone's
FPS verdict does, without ../shared the peers and real photos are left out. `strict` makes every
row required (a phone lab's CI).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Optional

OK, MISSING, PROBLEM = "ok", "missing", "problem"

#: (what the report calls it, the distributions that provide it, the pip name to install).
PACKAGES = (
    ("tensorflow", ("tensorflow", "tensorflow-cpu"), "tensorflow"),
    ("tf-keras", ("tf-keras",), "tf-keras"),
    ("tfmot", ("tensorflow-model-optimization",), "tensorflow-model-optimization"),
    ("ai-edge-litert", ("ai-edge-litert",), "ai-edge-litert"),
    ("numpy", ("numpy",), "numpy"),
    (
        "opencv",
        ("opencv-python-headless", "opencv-python", "opencv-contrib-python-headless", "opencv-contrib-python"),
        "opencv-python-headless",
    ),
)
MIN_PYTHON = (3, 10)
#: Debian 12's own Mesa (22.3) lists a llvmpipe adapter, yet LiteRT's GPU accelerator finds "No adapters
#: found" on it; Mesa 25 from bookworm-backports works (../shared/FIELD_NOTES.md).
MIN_MESA = 25
VK_VENDOR_ID_MESA = 0x10005
BENCHMARK_BINARY_NAMES = ("benchmark_model", "android_aarch64_benchmark_model")
BENCHMARK_FIX = (
    "download TFLite's android_aarch64_benchmark_model (in no package registry); pass it to "
    "pipeline or bench device as --benchmark-binary PATH"
)
#: The offline assets the tests and the peer comparison use, relative to the shared folder.
SHARED_ASSETS = (
    ("real photos: ccp-person", "data/ccp-person"),
    ("real photos: eg1800", "data/eg1800"),
    ("real photos: coco-people", "data/coco-people"),
    ("ImageNet backbone weights", "weights"),
    ("benchmark_model output fixtures", "fixtures/benchmark_model"),
)


@dataclasses.dataclass(frozen=True)
class Check:
    """One row of the doctor's table.

    Args:
        area: the group it belongs to ("python", "GPU gate", "phone", "shared assets").
        item: what was checked, e.g. "tensorflow".
        status: OK, MISSING or PROBLEM.
        found: what is there (a version, a path, a device), or why not.
        fix: what to do, where the status is not OK.
        required: the main job cannot run without it (the module docstring says which); `doctor` exits non-zero
            when a required check is not OK.
    """

    area: str  # "python", "GPU gate", "phone", "shared assets"
    item: str  # what was checked, e.g. "tensorflow"
    status: str  # OK, MISSING or PROBLEM
    found: str  # what is there (a version, a path, a device), or why not
    fix: str = ""  # what to do, where the status is not OK
    required: bool = False

    @property
    def ok(self) -> bool:
        """Whether the status is OK."""
        return self.status == OK


def run_checks(
    adb_path: Optional[str] = None,
    benchmark_binary: Optional[str] = None,
    strict: bool = False,
    timeout: float = 20.0,
    gpu_compile: bool = False,
) -> list[Check]:
    """Every check, in the order of the table; `gpu_compile` adds the GPU gate itself on the shipped model."""
    vulkan = check_vulkan(timeout)
    if gpu_compile:
        vulkan.append(check_gpu_compile())
    checks = [
        check_python(),
        *check_packages(),
        *vulkan,
        *check_adb(adb_path, timeout),
        check_benchmark_binary(benchmark_binary),
        *check_shared(),
    ]
    return [dataclasses.replace(c, required=True) for c in checks] if strict else checks


def failed_required(checks: list[Check]) -> list[Check]:
    """The required checks that are not OK.

    Args:
        checks: the doctor's checks.
    """
    return [c for c in checks if c.required and not c.ok]


# ---- Python and packages ---------------------------------------------------------------------------


def check_python() -> Check:
    """Python's version against MIN_PYTHON (required).

    Returns:
        The Check.
    """
    version = ".".join(map(str, sys.version_info[:3]))
    ok = sys.version_info[:2] >= MIN_PYTHON
    return Check(
        "python",
        "Python",
        OK if ok else PROBLEM,
        f"{version} ({sys.executable})",
        "" if ok else f"use Python {'.'.join(map(str, MIN_PYTHON))} or newer",
        required=True,
    )


def _version(distributions) -> tuple[Optional[str], Optional[str]]:
    for name in distributions:
        try:
            return name, metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None, None


def check_packages() -> list[Check]:
    """Versions from the installed metadata; tf-keras must match TensorFlow's minor version (Keras 2 for
    tfmot: FIELD_NOTES), or the QAT stage fails half-way."""
    checks, versions = [], {}
    for label, distributions, pip_name in PACKAGES:
        distribution, version = _version(distributions)
        versions[label] = version
        if version is None:
            checks.append(
                Check(
                    "python",
                    label,
                    MISSING,
                    "not installed",
                    f"pip install -e . in the clone (or pip install {pip_name})",
                    required=True,
                )
            )
        else:
            shown = version if distribution == distributions[0] else f"{version} ({distribution})"
            checks.append(Check("python", label, OK, shown, required=True))
    tf, keras = versions["tensorflow"], versions["tf-keras"]
    if tf and keras and tf.split(".")[:2] != keras.split(".")[:2]:
        minor = ".".join(tf.split(".")[:2])
        checks[1] = dataclasses.replace(
            checks[1],
            status=PROBLEM,
            found=f"{keras}, but tensorflow is {tf}",
            fix=f"pip install 'tf-keras=={minor}.*' (it must match tensorflow {minor})",
        )
    return checks


# ---- the GPU-delegate gate: Vulkan -----------------------------------------------------------------

_VULKAN_PROBE = r"""
import ctypes, json, struct, sys
try:
    vk = ctypes.CDLL("libvulkan.so.1")
except OSError as error:
    print(json.dumps({"loader": None, "error": str(error)})); sys.exit()
class AppInfo(ctypes.Structure):
    _fields_ = [("sType", ctypes.c_int), ("pNext", ctypes.c_void_p), ("pApplicationName", ctypes.c_char_p),
                ("applicationVersion", ctypes.c_uint32), ("pEngineName", ctypes.c_char_p),
                ("engineVersion", ctypes.c_uint32), ("apiVersion", ctypes.c_uint32)]
class CreateInfo(ctypes.Structure):
    _fields_ = [("sType", ctypes.c_int), ("pNext", ctypes.c_void_p), ("flags", ctypes.c_uint32),
                ("pApplicationInfo", ctypes.POINTER(AppInfo)), ("enabledLayerCount", ctypes.c_uint32),
                ("ppEnabledLayerNames", ctypes.c_void_p), ("enabledExtensionCount", ctypes.c_uint32),
                ("ppEnabledExtensionNames", ctypes.c_void_p)]
app = AppInfo(0, None, b"edge-deeplab doctor", 1, None, 0, (1 << 22) | (2 << 12))
info = CreateInfo(1, None, 0, ctypes.pointer(app), 0, None, 0, None)
instance = ctypes.c_void_p()
status = vk.vkCreateInstance(ctypes.byref(info), None, ctypes.byref(instance))
if status != 0:
    print(json.dumps({"loader": vk._name, "error": f"vkCreateInstance returned {status}"})); sys.exit()
count = ctypes.c_uint32(0)
vk.vkEnumeratePhysicalDevices(instance, ctypes.byref(count), None)
handles = (ctypes.c_void_p * max(count.value, 1))()
vk.vkEnumeratePhysicalDevices(instance, ctypes.byref(count), handles)
devices = []
for handle in handles[:count.value]:
    properties = ctypes.create_string_buffer(4096)
    vk.vkGetPhysicalDeviceProperties(ctypes.c_void_p(handle), properties)
    api, _, vendor, _, kind = struct.unpack_from("<5I", properties.raw, 0)
    # VkPhysicalDeviceDriverProperties (Vulkan 1.2) names the driver's release, e.g. "Mesa 25.0.7": lavapipe
    # puts no Mesa version into driverVersion.
    driver = ctypes.create_string_buffer(1024)
    struct.pack_into("<I", driver, 0, 1000196000)
    chained = ctypes.create_string_buffer(4096)
    struct.pack_into("<IIQ", chained, 0, 1000059001, 0, ctypes.addressof(driver))
    function = getattr(vk, "vkGetPhysicalDeviceProperties2", None)
    if function is not None and api >= (1 << 22) | (1 << 12):
        function(ctypes.c_void_p(handle), chained)
    text = lambda raw: raw.split(b"\0")[0].decode(errors="replace")
    devices.append({"name": text(properties.raw[20:276]), "api": [api >> 22 & 0x7F, api >> 12 & 0x3FF, api & 0xFFF],
                    "vendor": vendor, "type": kind, "driver_name": text(driver.raw[20:276]),
                    "driver_info": text(driver.raw[276:532])})
vk.vkDestroyInstance(instance, None)
print(json.dumps({"loader": vk._name, "devices": devices}))
"""


def vulkan_adapters(timeout: float = 20.0) -> dict:
    """{"loader": name or None, "devices": [...]} or {"error": ...}, from a child process (a broken driver
    may crash the process that loads it)."""
    from edge_deeplab.litert.child import child_environment  # the Vulkan-ready environment the gate uses

    try:
        done = subprocess.run(
            [sys.executable, "-c", _VULKAN_PROBE],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=child_environment(),
        )
    except subprocess.TimeoutExpired:
        return {"loader": "libvulkan.so.1", "error": f"listing Vulkan adapters took over {timeout:g} s"}
    lines = done.stdout.strip().splitlines()
    try:
        return json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        reason = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        return {"loader": "libvulkan.so.1", "error": f"the Vulkan driver crashed the probe ({reason})"}


def _mesa_version(device: dict) -> Optional[tuple]:
    """(25, 0, 7) from a driver info "Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6)"; None for other drivers."""
    match = re.match(r"Mesa (\d+)\.(\d+)(?:\.(\d+))?", device.get("driver_info") or "")
    return None if match is None else tuple(int(part or 0) for part in match.groups())


def check_vulkan(timeout: float = 20.0) -> list[Check]:
    """The dynamic GPU gate compiles each export with LiteRT's GPU accelerator on a Vulkan adapter (on a
    machine without a GPU, Mesa's llvmpipe): a loader, then an adapter LiteRT can use."""
    from edge_deeplab.litert.gpu import INSTALL_HINT  # a string; the module loads numpy, not LiteRT

    probe = vulkan_adapters(timeout)
    if not probe.get("loader"):
        return [
            Check("GPU gate", "Vulkan loader (libvulkan1)", MISSING, probe.get("error", "not found"), INSTALL_HINT),
            Check("GPU gate", "Vulkan adapter", MISSING, "no loader", INSTALL_HINT),
        ]
    loader = Check("GPU gate", "Vulkan loader (libvulkan1)", OK, probe["loader"])
    devices = probe.get("devices") or []
    if not devices:
        return [
            loader,
            Check("GPU gate", "Vulkan adapter", MISSING, probe.get("error", "no adapter listed"), INSTALL_HINT),
        ]
    described, usable = [], False
    for device in devices:
        mesa = _mesa_version(device)
        text = device["name"] + (f", Mesa {'.'.join(map(str, mesa))}" if mesa else "")
        described.append(text)
        # A Mesa driver that does not say its version (no Vulkan 1.2) is older than LiteRT needs.
        is_mesa = device.get("vendor") == VK_VENDOR_ID_MESA or mesa is not None
        usable = usable or not is_mesa or (mesa is not None and mesa[0] >= MIN_MESA)
    if not usable:
        return [
            loader,
            Check(
                "GPU gate",
                "Vulkan adapter",
                PROBLEM,
                "; ".join(described) + f": LiteRT finds no adapter on Mesa before {MIN_MESA}",
                INSTALL_HINT,
            ),
        ]
    return [loader, Check("GPU gate", "Vulkan adapter", OK, "; ".join(described))]


def check_gpu_compile(timeout: float = 300.0) -> Check:
    """The dynamic gate itself on the shipped preset:person fp16 model: LiteRT's GPU accelerator alone
    compiles and runs it (in a child process, as the gate does), or says why not."""
    from edge_deeplab import presets
    from edge_deeplab.litert.gpu import INSTALL_HINT, run_on_gpu

    from edge_deeplab.errors import EdgeDeeplabError

    item = "LiteRT GPU compile (preset:person)"
    try:
        path = presets.resolve("preset:person", "fp16")
    except EdgeDeeplabError as error:
        path, reason = None, str(error)
    if path is None or not Path(path).is_file():  # an install without the package data
        return Check(
            "GPU gate",
            item,
            PROBLEM,
            reason if path is None else f"{path}: not found",
            "reinstall edge-deeplab (pip install -e . in the clone)",
        )
    run = run_on_gpu(path, timeout_s=timeout)
    if run.died:
        return Check("GPU gate", item, PROBLEM, f"the LiteRT child {run.died}", INSTALL_HINT)
    if run.no_adapter_reason:
        return Check("GPU gate", item, MISSING, run.no_adapter_reason, INSTALL_HINT)
    measured = run.measured or {}
    if not measured.get("fully_accelerated"):
        reason = (
            measured.get("error") or ", ".join(f"{op}: {why}" for op, why in run.fallbacks) or "not fully accelerated"
        )
        return Check(
            "GPU gate",
            item,
            PROBLEM,
            f"{run.adapter}: {reason}",
            "report it with the model: the shipped model should run whole on the GPU",
        )
    return Check(
        "GPU gate",
        item,
        OK,
        f"fully accelerated on {run.adapter}; max |GPU - CPU| {measured.get('max_abs_diff', float('nan')):.1e}",
    )


# ---- phones: adb, devices, benchmark_model --------------------------------------------------------


def check_adb(adb_path: Optional[str] = None, timeout: float = 20.0) -> list[Check]:
    """The adb client edge-deeplab would use (edge_deeplab.bench.adb.find_adb) and the phones it lists."""
    from edge_deeplab.bench.adb import DEVICE_STATES_HELP, Adb, find_adb
    from edge_deeplab.errors import EdgeDeeplabError

    try:
        path = find_adb(adb_path)
    except EdgeDeeplabError as error:
        given = adb_path or os.environ.get("EDGE_DEEPLAB_ADB")
        found, fix = (
            (str(error), "pass the path of a working adb with --adb (or $EDGE_DEEPLAB_ADB)")
            if given
            else (
                "none on PATH, none bundled by adbutils",
                "apt-get install adb (or Android platform-tools), or pass --adb PATH",
            )
        )
        return [
            Check("phone", "adb client", MISSING, found, fix),
            Check("phone", "phones attached", MISSING, "no adb client", "install adb first"),
        ]
    adb = Adb(path)
    try:
        version = adb.run(["version"], timeout)
        first = version.stdout.decode(errors="replace").strip().splitlines()
        client = Check("phone", "adb client", OK, f"{path} ({first[0] if first else 'version unknown'})")
        devices = adb.devices(timeout)
    except EdgeDeeplabError as error:
        return [
            Check(
                "phone",
                "adb client",
                PROBLEM,
                f"{path}: {error}",
                "run `adb kill-server`, then try again; or pass another adb with --adb",
            ),
            Check("phone", "phones attached", MISSING, "adb did not answer", "fix adb first"),
        ]
    usable = [d for d in devices if d.state == "device"]
    listed = ", ".join(
        f"{d.serial} ({d.details.get('model', d.state) if d.state == 'device' else d.state})" for d in devices
    )
    if usable:
        return [client, Check("phone", "phones attached", OK, listed)]
    if devices:
        fix = DEVICE_STATES_HELP.get(devices[0].state, "check the phone and `adb devices`")
        return [client, Check("phone", "phones attached", PROBLEM, listed, fix)]
    return [
        client,
        Check(
            "phone",
            "phones attached",
            MISSING,
            "none",
            "plug in a phone with USB debugging on (or `adb connect HOST:PORT`)",
        ),
    ]


def check_benchmark_binary(path: Optional[str] = None) -> Check:
    """The given binary, else one named benchmark_model on PATH or in this folder; it must be an ELF the
    phone can run (or a wrapper script)."""
    from edge_deeplab.bench.phone import _ELF_MACHINE_ABI

    if path is None:
        found = [shutil.which(name) or (name if Path(name).is_file() else None) for name in BENCHMARK_BINARY_NAMES]
        path = next((p for p in found if p), None)
        if path is None:
            return Check("phone", "benchmark_model", MISSING, "not given, none on PATH", BENCHMARK_FIX)
    file = Path(path)
    if not file.is_file():
        return Check("phone", "benchmark_model", MISSING, f"{path}: no such file", BENCHMARK_FIX)
    head = file.read_bytes()[:20]
    if head.startswith(b"#!"):
        return Check("phone", "benchmark_model", OK, f"{path} (a script)")
    if not head.startswith(b"\x7fELF") or len(head) < 20:
        return Check("phone", "benchmark_model", PROBLEM, f"{path}: not an executable (no ELF header)", BENCHMARK_FIX)
    machine = int.from_bytes(head[18:20], "little" if head[5] == 1 else "big")
    abi = _ELF_MACHINE_ABI.get(machine, f"ELF machine {machine:#x}")
    if abi != "arm64-v8a":
        return Check(
            "phone",
            "benchmark_model",
            PROBLEM,
            f"{path}: built for {abi}",
            "most phones run arm64-v8a: " + BENCHMARK_FIX,
        )
    return Check("phone", "benchmark_model", OK, f"{path} ({abi})")


# ---- the offline assets -----------------------------------------------------------------------------


def check_shared() -> list[Check]:
    """The shared assets folder (../shared or $EDGE_DEEPLAB_SHARED) and each asset in it: the real photos, the
    backbone weights, the benchmark_model fixtures and every peer model.

    Returns:
        One Check for the folder (MISSING alone when there is none), then one per asset.
    """
    from edge_deeplab.peers import PEERS
    from edge_deeplab.shared import shared_dir

    root = shared_dir()
    fix = (
        "put the shared assets folder beside the checkout (../shared) or set EDGE_DEEPLAB_SHARED to it; "
        "without it the peers and real-photo tests are skipped"
    )
    if root is None:
        where = os.environ.get("EDGE_DEEPLAB_SHARED") or "../shared"
        return [Check("shared assets", "shared assets folder", MISSING, f"{where}: not found", fix)]
    checks = [Check("shared assets", "shared assets folder", OK, str(root))]
    wanted = [(label, root / relative) for label, relative in SHARED_ASSETS]
    wanted += [(f"peer:{name}", root / peer.file) for name, peer in PEERS.items()]
    for label, path in wanted:
        present = path.is_file() or (path.is_dir() and any(path.iterdir()))
        checks.append(
            Check(
                "shared assets",
                label,
                OK if present else MISSING,
                str(path.relative_to(root)) if present else f"{path}: not found",
                "" if present else f"copy it into {root} (see {root / 'README.md'} where there is one)",
            )
        )
    return checks
