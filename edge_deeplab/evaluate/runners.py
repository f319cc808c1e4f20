"""Runners: one forward pass of a model on an RGB image already at the model's input size.

A runner knows its model's contract (labels, input size, normalisation, output meaning), does
the normalisation and any int8/uint8 (de)quantization of its tensors, times the forward pass
and returns the raw output as float32 ([h, w, C] scores, [h, w] class ids for a label map,
[h, w, 1] for a person alpha). Resizing to and from each image's own size, flips, scales and
the mapping to the dataset's classes are the same for every model and live in inference.py.

- TfliteRunner: any .tflite; our exports carry their contract (read_tflite_contract), a peer's
  contract is given by peers.py.
- KerasRunner: a tf_keras.Model with its ModelContract.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

import numpy as np

from edge_deeplab.contract import ModelContract
from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.litert.flatbuffer import read_tflite_contract, tflite_format
from edge_deeplab.litert.interpreter import DEFAULT_THREADS, dequantize, open_interpreter, quantize


class TfliteRunner:
    """A .tflite model in the LiteRT interpreter (CPU, XNNPACK, `threads` threads)."""

    def __init__(
        self,
        path,
        contract: Optional[ModelContract] = None,
        name: Optional[str] = None,
        threads: int = DEFAULT_THREADS,
        kind: str = "ours",
    ):
        self.path = Path(path)
        if not self.path.is_file():
            raise EdgeDeeplabError(f"{path}: model file not found; pass a .tflite written by `edge-deeplab export`")
        self.contract = contract if contract is not None else _stored_contract(self.path)
        self.name = name or self.path.name
        self.kind = kind
        self.format = tflite_format(self.path)
        self.size_bytes = self.path.stat().st_size
        self.invoke_ms: list[float] = []
        self._interpreter = open_interpreter(self.path, threads, single_io=True)
        self._input = self._interpreter.get_input_details()[0]
        self._output = self._interpreter.get_output_details()[0]
        _check_shapes(
            self.name,
            self.contract,
            tuple(self._input["shape"]),
            tuple(self._output["shape"]),
            np.dtype(self._output["dtype"]),
        )

    def forward(self, rgb: np.ndarray) -> np.ndarray:
        """RGB uint8 [h, w, 3] at the model's input size -> raw float32 output without the batch axis."""
        normalised = self.contract.normalize(rgb)[np.newaxis]
        self._interpreter.set_tensor(self._input["index"], quantize(normalised, self._input))
        start = time.perf_counter()  # the invoke alone: what a phone's benchmark_model times too
        self._interpreter.invoke()
        elapsed = (time.perf_counter() - start) * 1000.0
        output = dequantize(self._interpreter.get_tensor(self._output["index"]), self._output)[0]
        self.invoke_ms.append(elapsed)
        return output


class KerasRunner:
    """A tf_keras.Model (input: normalised float RGB [1, h, w, 3]) with its contract."""

    def __init__(
        self,
        model,
        contract: ModelContract,
        name: str = "keras",
        size_bytes: Optional[int] = None,
        path: Optional[str] = None,
    ):
        self.model = model
        self.contract = contract
        self.name = name
        self.kind = "ours"
        self.format = "keras fp32"
        self.path = Path(path) if path else None
        self.size_bytes = size_bytes if size_bytes is not None else 4 * int(model.count_params())
        self.invoke_ms: list[float] = []
        # A fully convolutional model (None x None) takes the contract's size like any other.
        size = (1, contract.input_height, contract.input_width)
        input_shape = tuple(d if d is not None else size[i] for i, d in enumerate(model.input_shape))
        output_shape = tuple(d if d is not None else size[i] for i, d in enumerate(model.output_shape))
        _check_shapes(name, contract, input_shape, output_shape, np.dtype(model.output.dtype.name))

    def forward(self, rgb: np.ndarray) -> np.ndarray:
        """The model's output for one RGB image (normalised by the contract), timed into invoke_ms.

        Args:
            rgb: the image, uint8 H x W x 3 at the model's input size.

        Returns:
            The output without its batch axis; float32 for float outputs.
        """
        normalised = self.contract.normalize(rgb)[np.newaxis]
        start = time.perf_counter()
        output = self.model(normalised, training=False)
        output = np.asarray(output)  # the call is asynchronous until its result is read
        elapsed = (time.perf_counter() - start) * 1000.0
        self.invoke_ms.append(elapsed)
        return output[0].astype(np.float32) if output.dtype.kind == "f" else output[0]


def timed_samples(runner) -> list:
    """Forward-pass times in ms; the first pass allocates and (Keras) traces, so it is a warm-up, left out."""
    return runner.invoke_ms[1:] if len(runner.invoke_ms) > 1 else list(runner.invoke_ms)


def median_latency_ms(runner) -> Optional[float]:
    """The median forward pass of a runner in milliseconds, the warm-up pass left out (timed_samples).

    Args:
        runner: a model runner that has run.

    Returns:
        The median, or None before any pass.
    """
    samples = timed_samples(runner)
    return float(np.median(samples)) if samples else None


def _check_shapes(name, contract: ModelContract, input_shape, output_shape, output_dtype):
    """The contract must describe the tensors: a mismatch means silent garbage, so stop here."""
    if len(input_shape) != 4 or input_shape[3] != 3:
        raise EdgeDeeplabError(
            f"{name}: input shape {list(input_shape)} is not an RGB image [1, h, w, 3]; pass a segmentation model"
        )
    if tuple(input_shape[1:3]) != (contract.input_height, contract.input_width):
        raise EdgeDeeplabError(
            f"{name}: input is {input_shape[1]}x{input_shape[2]} but its contract says "
            f"{contract.input_height}x{contract.input_width}; re-export the model"
        )
    kind = contract.output_kind
    if kind in ("logits", "probabilities") and (len(output_shape) != 4 or output_shape[-1] != contract.num_classes):
        raise EdgeDeeplabError(
            f"{name}: output shape {list(output_shape)} does not hold {contract.num_classes} "
            f"class scores as its contract's labels say; re-export the model"
        )
    if kind == "person_alpha" and (len(output_shape) != 4 or output_shape[-1] != 1):
        raise EdgeDeeplabError(
            f"{name}: output shape {list(output_shape)} is not a person alpha [1, h, w, 1]; "
            f"fix the contract's output_kind"
        )
    if kind == "label_map" and (output_dtype.kind not in "iu" or len(output_shape) not in (3, 4)):
        raise EdgeDeeplabError(
            f"{name}: output {output_dtype} {list(output_shape)} is not a label map of class "
            f"ids; fix the contract's output_kind"
        )


def _stored_contract(path: Path) -> ModelContract:
    found = read_tflite_contract(path)
    if found is None:
        raise EdgeDeeplabError(
            f"{path}: carries no edge-deeplab contract; pass a model written by "
            f"`edge-deeplab export`, or a peer as peer:deeplabv3-voc / peer:mediapipe-selfie"
        )
    return found


# ---- Keras models from disk ----------------------------------------------------------------------


def load_keras_runner(path, name: Optional[str] = None) -> KerasRunner:
    """A saved Keras model and its contract.

    A folder saved by edge-deeplab (model.json + weights.h5) is rebuilt by edge_deeplab.model.load_model.
    Otherwise a whole-model .keras/.h5 file (or SavedModel folder) is loaded with tf_keras and its
    contract read from `<model>.contract.json` or `contract.json` beside it.
    """
    path = Path(path)
    if not path.exists():
        raise EdgeDeeplabError(f"{path}: model not found; pass a .tflite, a saved Keras model or peer:NAME")
    from edge_deeplab.model.saving import MODEL_JSON, load_model

    if (path / MODEL_JSON).is_file() or path.name == MODEL_JSON:
        model, contract = load_model(path)
    else:
        model, contract = _load_keras_file(path), _contract_beside(path)
    size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.is_dir() else path.stat().st_size
    return KerasRunner(model, contract, name=name or path.name, size_bytes=size, path=str(path))


def _contract_beside(path: Path) -> ModelContract:
    for candidate in (
        path.with_name(path.name + ".contract.json"),
        path.with_suffix(".contract.json"),
        (path if path.is_dir() else path.parent) / "contract.json",
    ):
        if candidate.is_file():
            return ModelContract.from_json(candidate.read_text(), source=str(candidate))
    raise EdgeDeeplabError(
        f"{path}: no contract found beside the model (expected {path.stem}.contract.json or "
        f"contract.json); save the model with edge-deeplab so its contract travels with it"
    )


def _load_keras_file(path: Path):
    import tf_keras

    try:
        return tf_keras.models.load_model(str(path), compile=False)
    except (OSError, ValueError, ImportError) as error:
        raise EdgeDeeplabError(
            f"{path}: tf_keras cannot load this model ({str(error).splitlines()[0]}); "
            f"pass a .tflite or a model saved by edge-deeplab"
        ) from None


# ---- a model named on the command line -----------------------------------------------------------


def open_runner(spec: str, threads: int = DEFAULT_THREADS):
    """'peer:NAME[=PATH]', 'preset:NAME[:int8|fp16|keras]', a .tflite file, or a saved Keras model -> its runner."""
    from edge_deeplab import presets
    from edge_deeplab import peers

    if threads < 1:  # LiteRT would refuse the model file, blaming it
        raise EdgeDeeplabError(f"--threads {threads} must be at least 1 (LiteRT CPU threads), e.g. 2")
    if peers.is_peer_spec(spec):
        return peer_runner(spec, threads)
    if presets.is_preset(spec):
        path = presets.resolve(spec, "int8")
        runner = TfliteRunner(path, threads=threads) if path.suffix == ".tflite" else load_keras_runner(path)
        runner.name = f"{spec} ({path.name})"
        return runner
    if str(spec).lower().endswith(".tflite"):
        return TfliteRunner(spec, threads=threads)
    return load_keras_runner(spec)


def peer_runner(spec: str, threads: int = DEFAULT_THREADS) -> TfliteRunner:
    """'peer:NAME[=PATH]' -> its runner, with the contract its publisher documents (peers.py)."""
    from edge_deeplab.peers import PEER_PREFIX, resolve_peer

    peer, path = resolve_peer(spec)
    return TfliteRunner(path, contract=peer.contract, name=f"{PEER_PREFIX}{peer.name}", threads=threads, kind="peer")
