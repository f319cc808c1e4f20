"""`edge-deeplab export-android GPU_MODEL CPU_MODEL`: check a model pair, install it in the demo app.

The app runs LiteRT's CompiledModel on the GPU accelerator with the fp16 export and falls back to the
CPU with the int8 export (fp16 is the GPU's format, int8 the CPU's), so installing writes both into
android_demo/app/src/main/assets/ (model_fp16.tflite, model_int8.tflite), with contract.json (the
contract both embed: normalisation, input size, labels, output kind) and models.json (each model's
tensor types, shapes and quantisation) beside them: plain assets the app reads with Android's
org.json, no flatbuffer parsing on the phone. The checks here are the ones the app makes at start-up
(ModelIo.java), done on the desk instead of on a phone: a model the app would refuse is refused
here, with the reason and the fix.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from pathlib import Path

import numpy as np

from edge_deeplab.contract import TFLITE_METADATA_NAME, ModelContract
from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.io import check_writable_output, write_files
from edge_deeplab.litert.flatbuffer import contract_text, load_tflite_bytes, tflite_format
from edge_deeplab.litert.heads import with_probabilities
from edge_deeplab.litert.interpreter import tensor_details

#: Asset names the app opens (LiteRtSegmenter.java): the GPU model, the CPU model, the contract both
#: share and what the installer found in each model's tensors.
GPU_ASSET = "model_fp16.tflite"
CPU_ASSET = "model_int8.tflite"
CONTRACT_ASSET = "contract.json"
MODELS_ASSET = "models.json"
#: Written by earlier versions (one int8 model for every backend); removed when the pair is installed.
STALE_ASSETS = ("model.tflite",)
ASSETS_DIR = Path("app/src/main/assets")
MANIFEST = Path("app/src/main/AndroidManifest.xml")
REEXPORT = "export it again with `edge-deeplab export`"
PAIR_FIX = (
    "pass the fp16 and the int8 export of one model, e.g. `edge-deeplab export-android RUN_fp16.tflite "
    "RUN_int8.tflite`, or a preset (preset:person)"
)

_INPUT_TYPES = {np.dtype(np.float32), np.dtype(np.uint8), np.dtype(np.int8)}
_SCORE_TYPES = {np.dtype(np.float32), np.dtype(np.uint8), np.dtype(np.int8)}
_LABEL_TYPES = {np.dtype(np.int32), np.dtype(np.int64), np.dtype(np.uint8), np.dtype(np.int8)}


@dataclasses.dataclass(frozen=True)
class InstalledModel:
    """One of the two models as installed: where, for which accelerator, and its tensors."""

    accelerator: str  # "gpu" or "cpu"
    path: Path
    source: Path
    size_bytes: int
    format: str  # e.g. "tflite fp16"
    input: str  # e.g. "float32 [1, 257, 257, 3]" or "int8 [1, 257, 257, 3] scale 0.0078 zero point -1"
    output: str
    head_added: bool  # a softmax was appended to the model's logits


@dataclasses.dataclass(frozen=True)
class Installation:
    gpu: InstalledModel
    cpu: InstalledModel
    contract: ModelContract
    contract_path: Path
    models_path: Path


def export_android(gpu_model, cpu_model, app="android_demo") -> Installation:
    """Validate the GPU model (fp16 or fp32) and the CPU model (int8) of one network and install both in
    `app` with their shared contract.

    Both must carry an edge-deeplab contract that describes their tensors (batch 1, a person class) and
    the same contract (size, normalisation, labels). A model ending in logits gets a softmax appended
    (litert/heads.py), so the app reads probabilities and computes none. Everything is checked before
    anything is written; each file is written to a temporary name and renamed.

    Args:
        gpu_model: the .tflite LiteRT's GPU accelerator runs (fp16 or fp32).
        cpu_model: the int8 .tflite the CPU runs when the GPU cannot.
        app: the Android project whose assets receive both, their contract.json and models.json.
    """
    assets = _assets_dir(Path(app))  # first: where the models go must be writable before they are checked
    gpu = _prepare(Path(gpu_model), "gpu")
    cpu = _prepare(Path(cpu_model), "cpu")
    if gpu["contract"] != cpu["contract"]:
        raise EdgeDeeplabError(
            f"{gpu_model} and {cpu_model}: their contracts differ (size, normalisation, labels or output); {PAIR_FIX}"
        )
    contract = gpu["contract"]
    models = {}
    installed = {}
    for prepared, asset in ((gpu, GPU_ASSET), (cpu, CPU_ASSET)):
        models[prepared["accelerator"]] = {
            "file": asset,
            "format": prepared["format"],
            "input": _tensor(prepared["input"]),
            "output": _tensor(prepared["output"]),
        }
    for prepared, asset in ((gpu, GPU_ASSET), (cpu, CPU_ASSET)):
        installed[prepared["accelerator"]] = InstalledModel(
            accelerator=prepared["accelerator"],
            path=assets / asset,
            source=prepared["source"],
            size_bytes=len(prepared["data"]),
            format=prepared["format"],
            input=_describe(prepared["input"]),
            output=_describe(prepared["output"]),
            head_added=prepared["head_added"],
        )
    # All four or none: a model beside another model's contract misleads the app that reads the set.
    write_files(
        {
            assets / GPU_ASSET: gpu["data"],
            assets / CPU_ASSET: cpu["data"],
            assets / CONTRACT_ASSET: (contract.to_json() + "\n").encode("utf-8"),
            assets / MODELS_ASSET: (json.dumps(models, indent=2, sort_keys=True) + "\n").encode("utf-8"),
        }
    )
    for stale in STALE_ASSETS:
        (assets / stale).unlink(missing_ok=True)
    return Installation(
        gpu=installed["gpu"],
        cpu=installed["cpu"],
        contract=contract,
        contract_path=assets / CONTRACT_ASSET,
        models_path=assets / MODELS_ASSET,
    )


def _prepare(model: Path, accelerator: str) -> dict:
    """The checked model, with probabilities out, in memory: nothing is written here."""
    data = load_tflite_bytes(model)
    contract = _contract_of(model, data)
    _require_person(model, contract)
    fmt = tflite_format(model)
    if accelerator == "gpu" and not fmt.startswith(("tflite fp16", "tflite fp32")):
        raise EdgeDeeplabError(
            f"{model}: is {fmt}, but the GPU model must be float (fp16 is the GPU's format: "
            f"int8 runs dequantised there); {PAIR_FIX}"
        )
    if accelerator == "cpu" and not fmt.startswith("tflite int8"):
        raise EdgeDeeplabError(
            f"{model}: is {fmt}, but the CPU model must be full-integer int8 (what pays on a phone's CPU); {PAIR_FIX}"
        )
    input_details, output_details = tensor_details(model, fix=REEXPORT)
    check_tensors(str(model), contract, input_details, output_details)
    data, head_contract = with_probabilities(data, contract, str(model))
    head_added = head_contract != contract
    if head_added:
        with tempfile.TemporaryDirectory() as folder:  # the new head's tensors, as LiteRT reports them
            path = Path(folder) / model.name
            path.write_bytes(data)
            input_details, output_details = tensor_details(path, fix=REEXPORT)
        check_tensors(str(model), head_contract, input_details, output_details)
    return {
        "accelerator": accelerator,
        "source": model,
        "data": data,
        "contract": head_contract,
        "format": fmt,
        "input": input_details,
        "output": output_details,
        "head_added": head_added,
    }


def _tensor(details: dict) -> dict:
    """A tensor as the app's TensorSpec reads it from models.json."""
    scale, zero_point = details["quantization"]
    return {
        "type": np.dtype(details["dtype"]).name.upper(),
        "shape": [int(d) for d in details["shape"]],
        "scale": float(scale),
        "zero_point": int(zero_point),
    }


def _contract_of(model: Path, data: bytes) -> ModelContract:
    text = contract_text(data, source=str(model))
    found = None if text is None else ModelContract.from_json(text, source=f"{model} ({TFLITE_METADATA_NAME})")
    if found is None:
        raise EdgeDeeplabError(
            f"{model}: carries no edge-deeplab contract ({TFLITE_METADATA_NAME} metadata), so "
            f"the app cannot know its normalisation, size and output; export it with "
            f"`edge-deeplab export`"
        )
    return found


def _require_person(model: Path, contract: ModelContract) -> None:
    from edge_deeplab.litert.outputs import portrait_class

    try:
        portrait_class(contract)
    except EdgeDeeplabError as error:
        raise EdgeDeeplabError(f"{model}: {error}") from None


def check_tensors(name: str, contract: ModelContract, input_details: dict, output_details: dict) -> None:
    """The app's start-up checks (ModelIo.java): the contract must describe the tensors, batch 1."""
    in_shape = [int(d) for d in input_details["shape"]]
    in_signature = [int(d) for d in input_details.get("shape_signature", input_details["shape"])]
    out_shape = [int(d) for d in output_details["shape"]]
    out_signature = [int(d) for d in output_details.get("shape_signature", output_details["shape"])]
    if -1 in in_signature or -1 in out_signature:
        raise EdgeDeeplabError(
            f"{name}: has a dynamic shape {in_signature} -> {out_signature}; re-export it "
            f"with batch 1 (the GPU delegate rejects the batch-None graph)"
        )
    if len(in_shape) != 4 or in_shape[0] != 1 or in_shape[3] != 3:
        raise EdgeDeeplabError(f"{name}: input {in_shape} is not one RGB image [1, h, w, 3]; re-export it with batch 1")
    if in_shape[1:3] != [contract.input_height, contract.input_width]:
        raise EdgeDeeplabError(
            f"{name}: input is {in_shape[1]}x{in_shape[2]} but its contract says "
            f"{contract.input_height}x{contract.input_width}; re-export the model"
        )
    if np.dtype(input_details["dtype"]) not in _INPUT_TYPES:
        raise EdgeDeeplabError(
            f"{name}: input type {np.dtype(input_details['dtype'])} is not float32, uint8 or int8; re-export the model"
        )
    if len(out_shape) not in (3, 4) or out_shape[0] != 1:
        raise EdgeDeeplabError(f"{name}: output {out_shape} is not one image [1, h, w(, c)]; re-export it with batch 1")
    out_type = np.dtype(output_details["dtype"])
    scale = output_details["quantization"][0]
    channels = out_shape[3] if len(out_shape) == 4 else 1
    kind = contract.output_kind
    if kind in ("logits", "probabilities", "person_alpha"):
        wanted = contract.num_classes if kind != "person_alpha" else 1
        if len(out_shape) != 4 or channels != wanted:
            what = f"{contract.num_classes} class scores" if wanted != 1 else "a person alpha [1, h, w, 1]"
            raise EdgeDeeplabError(
                f"{name}: output {out_shape} does not hold {what} as its contract ({kind}) says; re-export the model"
            )
        if out_type not in _SCORE_TYPES or (out_type != np.float32 and not scale):
            raise EdgeDeeplabError(
                f"{name}: output type {out_type} is neither float nor quantised int8/uint8 "
                f"scores; fix the contract's output_kind"
            )
    elif out_type not in _LABEL_TYPES or scale or channels != 1:
        raise EdgeDeeplabError(
            f"{name}: output {out_type} {out_shape} is not a label map of class ids; fix the contract's output_kind"
        )


def _assets_dir(app: Path) -> Path:
    if not (app / MANIFEST).is_file():
        raise EdgeDeeplabError(
            f"{app}: not the Android demo (no {MANIFEST.as_posix()}); pass --app with the path "
            f"of the android_demo folder"
        )
    return check_writable_output(app / ASSETS_DIR)


def _describe(details: dict) -> str:
    shape = [int(d) for d in details["shape"]]
    text = f"{np.dtype(details['dtype']).name} {shape}"
    scale, zero_point = details["quantization"]
    if scale:
        text += f" scale {scale:.6g} zero point {zero_point}"
    return text


def summary_rows(installation: Installation) -> list[tuple[str, str]]:
    c = installation.contract
    person = c.person_class if c.person_class is not None else "from labels"
    rows = []
    for model in (installation.gpu, installation.cpu):
        head = ", softmax appended to its logits" if model.head_added else ""
        rows += [
            (f"{model.accelerator} model", f"{model.path} ({model.size_bytes / 1e6:.2f} MB, {model.format}{head})"),
            (f"{model.accelerator} tensors", f"{model.input} -> {model.output}"),
        ]
    return rows + [
        ("contract", f"{installation.contract_path}, {installation.models_path}"),
        ("normalisation", f"(x - {list(c.mean)}) / {list(c.std)}"),
        ("output", c.output_kind),
        ("labels", f"{c.num_classes}: {', '.join(c.labels[:6])}{' ...' if c.num_classes > 6 else ''}"),
        ("person class", str(person)),
    ]
