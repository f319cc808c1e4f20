"""The Android demo's CPU work per camera frame on the JVM: everything but inference and shaders.

    python benchmarks/android_frame_cpu.py [--frames 1000] [--warmup 300]

MaskPipeline.process (android_demo core/) on a 640x480 RGBA analysis frame turned upright to
480x640 (the front camera in portrait: rotation 270, mirrored), with the shipped model pair's contract
and tensors (app/src/main/assets: 321x321 input, 321x321x2 probabilities): sampling the frame into
the input tensor, reading the person alpha, temporal smoothing, main-subject selection and the 8-bit
mask the renderer uploads. The model is a stand-in returning a fixed output (its time is LiteRT's and
is subtracted). Also reports the bytes the JVM allocated per frame on that thread (the hot path must
allocate nothing). Three variants: both toggles on, smoothing only, both off. Times are the wall clock
(what the frame waits) and the thread's own CPU time (what the work costs; on a shared machine the
wall clock also counts other processes' turns), medians; the load average at the end is recorded.

A desktop JVM is not a phone: phones' big cores are a few times slower per thread than this machine's
EPYC, so read the result as "fits the budget with room", not as the phone's number.

Writes benchmarks/results/android_frame_cpu.json and prints the table. Needs javac/java (JDK 11+) and
Debian's libandroid-json-java (scripts/install_system_packages.sh).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "android_demo/app/src/main/java/org/edgedeeplab/portrait/core"
ASSETS = ROOT / "android_demo/app/src/main/assets"
BENCH = Path(__file__).resolve().parent / "android/FrameCpuBenchmark.java"
ORG_JSON = Path("/usr/share/java/com.android.json.jar")
RESULT = Path(__file__).resolve().parent / "results/android_frame_cpu.json"
BUDGET_MS = 3.0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=1000, help="Measured frames per variant.")
    parser.add_argument("--warmup", type=int, default=1000)
    args = parser.parse_args(argv)
    missing = [tool for tool in ("javac", "java") if shutil.which(tool) is None]
    if missing or not ORG_JSON.is_file():
        print(
            f"error: needs javac, java and {ORG_JSON}: run scripts/install_system_packages.sh as root", file=sys.stderr
        )
        return 1
    with tempfile.TemporaryDirectory() as classes:
        subprocess.run(
            [
                "javac",
                "--release",
                "11",
                "-encoding",
                "UTF-8",
                "-d",
                classes,
                "-cp",
                str(ORG_JSON),
                *map(str, sorted(CORE.glob("*.java"))),
                str(BENCH),
            ],
            check=True,
        )
        main_class = "org.edgedeeplab.portrait.bench.FrameCpuBenchmark"
        out = subprocess.run(
            ["java", "-cp", f"{classes}:{ORG_JSON}", main_class, str(ASSETS), str(args.warmup), str(args.frames)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    result = json.loads(out)
    result["machine"] = {
        "cpu": _cpus(),
        "cores": os.cpu_count(),
        "load_average": " ".join(f"{x:.1f}" for x in os.getloadavg()),
    }
    result["budget_ms"] = BUDGET_MS
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"Android demo, CPU per frame without inference and shaders ({result['frame'][1]}x{result['frame'][0]} "
        f"frame upright to {result['frame'][0]}x{result['frame'][1]}, model {result['model_input'][0]} px, "
        f"{result['frames']} frames, {result['java']}):"
    )
    print(f"  {'variant':<22} {'wall median':>11} {'wall p90':>8} {'thread CPU median':>17} {'sample':>7} {'mask':>6}")
    for name, variant in result["variants"].items():
        print(
            f"  {name:<22} {variant['cpu_ms']['median']:>11.3f} {variant['cpu_ms']['p90']:>8.3f} "
            f"{variant['thread_cpu_ms']['median']:>17.3f} {variant['sample_ms']['median']:>7.3f} "
            f"{variant['mask_ms']['median']:>6.3f}"
        )
    print(f"  bytes allocated per frame on the pipeline's thread: {result['allocated_bytes_per_frame']:.2f}")
    worst = max(v["cpu_ms"]["median"] for v in result["variants"].values())
    worst_cpu = max(v["thread_cpu_ms"]["median"] for v in result["variants"].values())
    print(
        f"  budget {BUDGET_MS} ms median: wall {'within' if worst < BUDGET_MS else 'OVER'} ({worst:.3f} ms), thread "
        f"CPU {'within' if worst_cpu < BUDGET_MS else 'OVER'} ({worst_cpu:.3f} ms); load average "
        f"{result['machine']['load_average']} on {result['machine']['cores']} cores"
    )
    print(f"  written: {RESULT.relative_to(ROOT)}")
    return 0


def _cpus() -> str:
    try:
        model = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        model = "unknown"
    return model


if __name__ == "__main__":
    sys.exit(main())
