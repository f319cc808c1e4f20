"""Per-layer int8 damage and selective quantization of the trained ccp-person model, in one run.

    python benchmarks/quant_report_ccp_person.py [--model DIR] [--data DIR] [--selective 0,1,3,5]
                                                 [--calibration-images 100] [--no-gpu-check]

The same as `edge-deeplab quant-report MODEL --data DIR --gpu-check`: calibrates int8 on representative
ccp-person train images, ranks every quantized op by rmse / scale (TensorFlow's QuantizationDebugger),
then scores full int8, int8 with the k most damaged layers left float, and the float model on
ccp-person val with the evaluator (each photo at its own resolution). Prints both tables and writes
benchmarks/results/quant_report_ccp_person.json. The model folder is copied first, so a training run
that replaces it meanwhile cannot be read half-written.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import edge_deeplab  # noqa: F401  (TF_USE_LEGACY_KERAS before anything imports TensorFlow)
from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.io import write_json
from edge_deeplab.shared import shared_dir

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_MODEL = Path("/work/runs/ccp-person-w1/best")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(DEFAULT_MODEL), help="saved model folder (model.json + weights.h5)")
    parser.add_argument("--data", help="dataset folder (default: ../shared/data/ccp-person)")
    parser.add_argument("--split", default="val")
    parser.add_argument("--calibration-images", type=int, default=100)
    parser.add_argument("--debug-images", type=int, help="run the debug model on the first N only [all]")
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--selective", default="0,1,3,5")
    parser.add_argument("--no-gpu-check", action="store_true", help="static GPU gate only (no LiteRT GPU compile)")
    parser.add_argument("--output", default=str(RESULTS / "quant_report_ccp_person.json"))
    args = parser.parse_args(argv)

    from edge_deeplab.calibration.debugger import format_report
    from edge_deeplab.calibration.selective import format_selective
    from edge_deeplab.evaluate.quant_report import quant_report

    start = time.perf_counter()
    copy = Path(tempfile.mkdtemp(prefix="quant-report-model-"))
    try:
        data = args.data or _default_data()
        source = Path(args.model)
        if not (source / "model.json").is_file():
            raise EdgeDeeplabError(f"{source}: no saved model (model.json) there; pass --model")
        model = copy / source.name
        shutil.copytree(source, model)
        document = quant_report(
            model,
            data,
            split=args.split,
            num_calibration=args.calibration_images,
            top=args.top,
            ks=[int(k) for k in args.selective.split(",")],
            debug_images=args.debug_images,
            gpu_check=not args.no_gpu_check,
            progress=False,
            log=print,
        )
    except EdgeDeeplabError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(copy, ignore_errors=True)

    saved = json.loads((source / "model.json").read_text()) if (source / "model.json").is_file() else {}
    document["model"] = str(source)
    document["trained"] = {
        "epoch": saved.get("epoch"),
        "keras_val_miou": saved.get("val_miou"),
        "config": saved.get("config"),
    }
    document["total_seconds"] = round(time.perf_counter() - start, 1)  # "seconds" holds quant_report's stages
    document["host"] = {"machine": platform.machine(), "cpus": os.cpu_count(), "python": platform.python_version()}
    print(format_report(document["report"], args.top))
    print()
    print(format_selective(document["selective"]))
    out = Path(args.output)
    write_json(out, document)
    print(f"results: {out} ({document['total_seconds']:.0f} s)")
    return 0


def _default_data() -> Path:
    root = shared_dir()
    if root is None or not (root / "data" / "ccp-person").is_dir():
        raise EdgeDeeplabError("../shared/data/ccp-person is missing: pass --data")
    return root / "data" / "ccp-person"


if __name__ == "__main__":
    sys.exit(main())
