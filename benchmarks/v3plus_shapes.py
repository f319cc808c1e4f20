"""What a DeepLab v3+ person model can afford: int8 host latency of candidate shapes against Google's DLv3 257.

    python benchmarks/v3plus_shapes.py [--work runs/shapes] [--rounds 5]

Each candidate is Google's imported DeepLab v3 (MobileNet-v2 0.5, background merged) rebuilt with one knob
changed: decoder width, low-level projection, output stride, input shape (square or 3:4 like a phone's
camera frame). Untrained weights (latency does not depend on them), exported to int8 with float I/O and
probabilities out (calibrated on 4 eg1800 train photos), then timed with LiteRT on 2 threads, model
only, in rounds that alternate every model, so a busy moment of the machine falls on all of them. Prints
and writes benchmarks/results/v3plus_shapes.{json,md}: median ms and the ratio to Google's model.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import edge_deeplab  # noqa: F401  (TF_USE_LEGACY_KERAS before anything imports TensorFlow)
from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.io import write_json, write_text
from edge_deeplab.shared import shared_dir

RESULTS = Path(__file__).resolve().parent / "results"
GOOGLE = "peers/deeplabv3-mnv2-dm05-voc/deeplabv3_257.tflite"
#: name -> changes to the imported model's config (width 0.5, ASPP 256: image pooling + 1x1)
CANDIDATES = {
    "v3, 321 (preset v1's head)": {"input_size": (321, 321), "output_stride": 16, "use_decoder": False},
    "v3+ decoder 48, 321": {"input_size": (321, 321), "output_stride": 16, "decoder_channels": 48},
    "v3+ decoder 64, 321": {"input_size": (321, 321), "output_stride": 16, "decoder_channels": 64},
    "v3+ decoder 96, 321": {"input_size": (321, 321), "output_stride": 16, "decoder_channels": 96},
    "v3+ decoder 64, low-level 24, 321": {"input_size": (321, 321), "output_stride": 16, "decoder_channels": 64,
                                          "low_level_channels": 24},
    "v3+ decoder 64, ASPP 128, 321": {"input_size": (321, 321), "output_stride": 16, "decoder_channels": 64,
                                      "aspp_channels": 128},
    "v3+ decoder 64, 289": {"input_size": (289, 289), "output_stride": 16, "decoder_channels": 64},
    "v3+ decoder 64, 353x257 (3:4)": {"input_size": (353, 257), "output_stride": 16, "decoder_channels": 64},
    "v3+ decoder 64, 385x289 (3:4)": {"input_size": (385, 289), "output_stride": 16, "decoder_channels": 64},
    "v3+ decoder 64, 321, output stride 8": {"input_size": (321, 321), "output_stride": 8, "decoder_channels": 64},
}
RUNS = 30


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", default="runs/shapes", help="folder for the untrained models and exports")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--output", default=str(RESULTS / "v3plus_shapes"), help="path stem of the .json and .md")
    args = parser.parse_args(argv)
    try:
        shared = shared_dir()
        if shared is None:
            raise EdgeDeeplabError("../shared not found (the Google peer to import): set EDGE_DEEPLAB_SHARED")
        work = Path(args.work)
        models = {name: build_and_export(name, changes, work, shared) for name, changes in CANDIDATES.items()}
        models["Google DLv3 257"] = shared / GOOGLE
        latency = alternating_latency(models, args.rounds)
    except EdgeDeeplabError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    google = latency["Google DLv3 257"]["median_ms"]
    for entry in latency.values():
        entry["ratio_to_google"] = entry["median_ms"] / google
    result = {"rounds": args.rounds, "runs_per_round": RUNS, "candidates": {k: _jsonable(v) for k, v in
                                                                             CANDIDATES.items()}, "latency": latency}
    stem = Path(args.output)
    write_json(stem.with_suffix(".json"), result)
    write_text(stem.with_suffix(".md"), render_markdown(result))
    print(render_markdown(result))
    return 0


def build_and_export(name: str, changes: dict, work: Path, shared: Path) -> Path:
    """The imported model with `changes`, untrained, as int8 .tflite (reused when it exists)."""
    slug = "".join(c if c.isalnum() else "_" for c in name).strip("_")
    tflite = work / "export" / f"{slug}_int8.tflite"
    if tflite.is_file():
        return tflite
    from edge_deeplab.converters.export import export
    from edge_deeplab.model.deeplab import build_deeplab
    from edge_deeplab.model.import_tflite import import_tflite
    from edge_deeplab.model.saving import default_contract, save_model

    _, config, contract, _ = import_tflite(shared / GOOGLE, classes=["background", "person"])
    config = config.replace(**changes)
    folder = work / slug
    save_model(build_deeplab(config), config, default_contract(config, contract.labels), folder)
    export(folder, work / "export", ["int8"], data=str(shared / "data" / "eg1800"), num_calibration=4,
           gpu_check=False, output_kind="probabilities", log=lambda _: None)
    return tflite


def alternating_latency(models: dict, rounds: int) -> dict:
    from edge_deeplab.bench.host import HostBenchConfig, benchmark_on_host

    config = HostBenchConfig(runs=RUNS, threads=(2,), e2e=False, gpu=False)
    medians = {name: [] for name in models}
    for _ in range(rounds):
        for name, path in models.items():
            entry = benchmark_on_host([path], config, progress=False)["models"][0]
            medians[name].append(next(row["stats"]["median_ms"] for row in entry["results"]
                                      if row["backend"] == "cpu" and row["mode"] == "model" and row["status"] == "ok"))
        time.sleep(0.5)
    return {name: {"median_ms": statistics.median(values), "rounds_ms": values} for name, values in medians.items()}


def _jsonable(changes: dict) -> dict:
    return {key: list(value) if isinstance(value, tuple) else value for key, value in changes.items()}


def render_markdown(result: dict) -> str:
    lines = ["# DeepLab v3+ shapes: int8 host latency against Google's DLv3 257", "",
             f"LiteRT, 2 threads, model only; median over {result['rounds']} alternating rounds of "
             f"{result['runs_per_round']} runs. Width 0.5 (Google's import), ASPP 256 (image pooling + 1x1) unless "
             "said; untrained weights, int8 with float I/O and probabilities out.", "",
             "| model | median ms | x Google |", "|---|---|---|"]
    for name, entry in sorted(result["latency"].items(), key=lambda item: item[1]["median_ms"]):
        lines.append(f"| {name} | {entry['median_ms']:.2f} | {entry['ratio_to_google']:.2f} |")
    return "\n".join(lines + [""])


if __name__ == "__main__":
    sys.exit(main())
