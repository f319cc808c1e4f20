"""`edge-deeplab export-android MODEL`: check a .tflite and its contract, install it in the demo app.

The app reads everything it needs from the model itself (normalisation, input size and output kind
from the embedded contract; quantisation from the input tensor), so installing is copying one file
into android_demo/app/src/main/assets/model.tflite, plus contract.json beside it for people to read.
The checks here are the ones the app makes at start-up (ModelIo.java), done on the desk instead of
on a phone: a model the app would refuse is refused here, with the reason and the fix.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from edge_deeplab.contract import TFLITE_METADATA_NAME, ModelContract
from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.io import check_writable_output, write_bytes
from edge_deeplab.litert.flatbuffer import contract_text, load_tflite_bytes
from edge_deeplab.litert.interpreter import tensor_details

#: Asset names the app opens (MainActivity.MODEL_ASSET / CONTRACT_ASSET).
MODEL_ASSET = "model.tflite"
CONTRACT_ASSET = "contract.json"
ASSETS_DIR = Path("app/src/main/assets")
MANIFEST = Path("app/src/main/AndroidManifest.xml")
REEXPORT = "export it again with `edge-deeplab export`"

_INPUT_TYPES = {np.dtype(np.float32), np.dtype(np.uint8), np.dtype(np.int8)}
_SCORE_TYPES = {np.dtype(np.float32), np.dtype(np.uint8), np.dtype(np.int8)}
_LABEL_TYPES = {np.dtype(np.int32), np.dtype(np.int64), np.dtype(np.uint8), np.dtype(np.int8)}


@dataclasses.dataclass(frozen=True)
class InstalledModel:
    model_path: Path
    contract_path: Path
    size_bytes: int
    contract: ModelContract
    input: str        # e.g. "float32 [1, 257, 257, 3]" or "int8 [1, 257, 257, 3] scale 0.0078 zero point -1"
    output: str


def export_android(model, app="android_demo") -> InstalledModel:
    """Validate `model` (a .tflite with an edge-deeplab contract, batch 1) and install it in `app`."""
    model = Path(model)
    assets = _assets_dir(Path(app))  # first: where the model goes must be writable before it is checked
    data = load_tflite_bytes(model)
    contract = _contract_of(model, data)
    _require_person(model, contract)
    input_details, output_details = tensor_details(model, fix=REEXPORT)
    check_tensors(str(model), contract, input_details, output_details)
    contract_text = contract.to_json() + "\n"
    write_bytes(assets / MODEL_ASSET, data)
    write_bytes(assets / CONTRACT_ASSET, contract_text.encode("utf-8"))
    return InstalledModel(model_path=assets / MODEL_ASSET, contract_path=assets / CONTRACT_ASSET,
                          size_bytes=len(data), contract=contract, input=_describe(input_details),
                          output=_describe(output_details))


def _contract_of(model: Path, data: bytes) -> ModelContract:
    text = contract_text(data, source=str(model))
    found = None if text is None else ModelContract.from_json(text, source=f"{model} ({TFLITE_METADATA_NAME})")
    if found is None:
        raise EdgeDeeplabError(f"{model}: carries no edge-deeplab contract ({TFLITE_METADATA_NAME} metadata), so "
                               f"the app cannot know its normalisation, size and output; export it with "
                               f"`edge-deeplab export`")
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
        raise EdgeDeeplabError(f"{name}: has a dynamic shape {in_signature} -> {out_signature}; re-export it "
                               f"with batch 1 (the GPU delegate rejects the batch-None graph)")
    if len(in_shape) != 4 or in_shape[0] != 1 or in_shape[3] != 3:
        raise EdgeDeeplabError(f"{name}: input {in_shape} is not one RGB image [1, h, w, 3]; re-export it with "
                               f"batch 1")
    if in_shape[1:3] != [contract.input_height, contract.input_width]:
        raise EdgeDeeplabError(f"{name}: input is {in_shape[1]}x{in_shape[2]} but its contract says "
                               f"{contract.input_height}x{contract.input_width}; re-export the model")
    if np.dtype(input_details["dtype"]) not in _INPUT_TYPES:
        raise EdgeDeeplabError(f"{name}: input type {np.dtype(input_details['dtype'])} is not float32, uint8 or "
                               f"int8; re-export the model")
    if len(out_shape) not in (3, 4) or out_shape[0] != 1:
        raise EdgeDeeplabError(f"{name}: output {out_shape} is not one image [1, h, w(, c)]; re-export it with "
                               f"batch 1")
    out_type = np.dtype(output_details["dtype"])
    scale = output_details["quantization"][0]
    channels = out_shape[3] if len(out_shape) == 4 else 1
    kind = contract.output_kind
    if kind in ("logits", "probabilities", "person_alpha"):
        wanted = contract.num_classes if kind != "person_alpha" else 1
        if len(out_shape) != 4 or channels != wanted:
            what = f"{contract.num_classes} class scores" if wanted != 1 else "a person alpha [1, h, w, 1]"
            raise EdgeDeeplabError(f"{name}: output {out_shape} does not hold {what} as its contract "
                                   f"({kind}) says; re-export the model")
        if out_type not in _SCORE_TYPES or (out_type != np.float32 and not scale):
            raise EdgeDeeplabError(f"{name}: output type {out_type} is neither float nor quantised int8/uint8 "
                                   f"scores; fix the contract's output_kind")
    elif out_type not in _LABEL_TYPES or scale or channels != 1:
        raise EdgeDeeplabError(f"{name}: output {out_type} {out_shape} is not a label map of class ids; fix the "
                               f"contract's output_kind")


def _assets_dir(app: Path) -> Path:
    if not (app / MANIFEST).is_file():
        raise EdgeDeeplabError(f"{app}: not the Android demo (no {MANIFEST.as_posix()}); pass --app with the path "
                               f"of the android_demo folder")
    return check_writable_output(app / ASSETS_DIR)




def _describe(details: dict) -> str:
    shape = [int(d) for d in details["shape"]]
    text = f"{np.dtype(details['dtype']).name} {shape}"
    scale, zero_point = details["quantization"]
    if scale:
        text += f" scale {scale:.6g} zero point {zero_point}"
    return text


def summary_rows(installed: InstalledModel) -> list[tuple[str, str]]:
    c = installed.contract
    person = c.person_class if c.person_class is not None else "from labels"
    return [
        ("model", f"{installed.model_path} ({installed.size_bytes / 1e6:.2f} MB)"),
        ("contract", str(installed.contract_path)),
        ("input", installed.input),
        ("normalisation", f"(x - {list(c.mean)}) / {list(c.std)}"),
        ("output", f"{installed.output} ({c.output_kind})"),
        ("labels", f"{c.num_classes}: {', '.join(c.labels[:6])}{' ...' if c.num_classes > 6 else ''}"),
        ("person class", str(person)),
    ]
