"""A .tflite as bytes: the file check, the contract in its named metadata buffer, its format.

A .tflite flatbuffer carries named metadata buffers (Model.metadata -> Model.buffers) that every
runtime ignores, so the contract travels with the model without touching its graph. tflite-support's
metadata writer would do this too but pins protobuf < 4 (TensorFlow 2.21 needs 7.x); LiteRT's own
flatbuffer schema and tools do it with what is installed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from edge_deeplab.contract import TFLITE_METADATA_NAME, ModelContract
from edge_deeplab.errors import EdgeDeeplabError

#: Bytes 4..8 of every TFLite flatbuffer (its file identifier).
TFLITE_IDENTIFIER = b"TFL3"


def schema():
    """LiteRT's generated flatbuffer schema module (tensor and operator enums, the object API)."""
    from ai_edge_litert import schema_py_generated

    return schema_py_generated


def model_object(data: bytes):
    """The whole model as LiteRT's mutable object API (schema.ModelT)."""
    from ai_edge_litert.tools import flatbuffer_utils

    return flatbuffer_utils.read_model_from_bytearray(bytearray(data))


def model_bytes(model) -> bytes:
    """A .tflite model object (flatbuffer_utils' ModelT) serialized back to bytes.

    Args:
        model: the model object.
    """
    from ai_edge_litert.tools import flatbuffer_utils

    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def model_root(data: bytes):
    """The read-only flatbuffer view (schema.Model), cheap even for large files."""
    return schema().Model.GetRootAs(data, 0)


def check_tflite_file(path, fix: str = "pass a .tflite file, e.g. one written by `edge-deeplab export`") -> Path:
    """A one-line error (ending with `fix`) when `path` is missing or not a TFLite flatbuffer; reads only
    the file identifier, so it is cheap before a long job (or a push to a phone)."""
    path = Path(path)
    if not path.is_file():
        raise EdgeDeeplabError(f"{path}: model file not found; {fix}")
    with open(path, "rb") as handle:
        if not _is_tflite(handle.read(8)):
            raise EdgeDeeplabError(f"{path}: not a TFLite model (no TFL3 flatbuffer identifier at bytes 4-8); {fix}")
    return path


def check_tflite_whole(path, fix: str) -> Path:
    """check_tflite_file, and every buffer and subgraph the flatbuffer names lies inside the file: a file cut
    short (an interrupted copy or download) keeps its TFL3 identifier but loses what comes after the cut."""
    import struct

    path = check_tflite_file(path, fix)
    data = path.read_bytes()
    try:
        model = schema().Model.GetRootAs(data, 0)
        for index in range(model.BuffersLength()):
            buffer = model.Buffers(index)
            if buffer.Offset() > 1:  # stored after the flatbuffer (models over 2 GB)
                if buffer.Offset() + buffer.Size() > len(data):
                    raise ValueError(f"buffer {index} ends at byte {buffer.Offset() + buffer.Size()}")
            elif buffer.DataLength():
                buffer.DataAsNumpy()  # numpy refuses a vector that runs past the end
        for index in range(model.SubgraphsLength()):
            subgraph = model.Subgraphs(index)
            for tensor in range(subgraph.TensorsLength()):
                subgraph.Tensors(tensor).ShapeAsNumpy()
            for operator in range(subgraph.OperatorsLength()):
                subgraph.Operators(operator).OpcodeIndex()
    except (struct.error, IndexError, ValueError, TypeError):
        raise EdgeDeeplabError(
            f"{path}: a damaged TFLite model: its {len(data)} bytes end before data it refers to "
            f"(cut short by an interrupted copy or download?); {fix}"
        ) from None
    return path


def load_tflite_bytes(path) -> bytes:
    """The bytes of a .tflite file; a one-line error when it is missing or not a TFLite flatbuffer."""
    return check_tflite_file(path).read_bytes()


def embed_contract(tflite_bytes: bytes, contract: ModelContract) -> bytes:
    """The model with `contract` stored as the metadata buffer TFLITE_METADATA_NAME (replacing an
    earlier contract, so exporting twice never leaves two)."""
    if not _is_tflite(tflite_bytes):
        raise EdgeDeeplabError("cannot embed the contract: the bytes are not a TFLite model (no 'TFL3' identifier)")
    model = model_object(tflite_bytes)
    set_metadata_buffer(model, TFLITE_METADATA_NAME, contract.to_json().encode("utf-8"))
    return model_bytes(model)


def set_metadata_buffer(model, name: str, payload: bytes) -> None:
    """Store `payload` as the metadata buffer `name` of a schema.ModelT, replacing an earlier one (an
    earlier tool may have written it twice: one is kept)."""
    import numpy as np

    data = np.frombuffer(payload, dtype=np.uint8)
    ours = [entry for entry in (model.metadata or []) if _name(entry.name) == name]
    if ours:
        model.buffers[ours[0].buffer].data = data
        for duplicate in ours[1:]:
            model.buffers[duplicate.buffer].data = None
            model.metadata.remove(duplicate)
        return
    buffer = schema().BufferT()
    buffer.data = data
    model.buffers.append(buffer)
    entry = schema().MetadataT()
    entry.name = name
    entry.buffer = len(model.buffers) - 1
    model.metadata = list(model.metadata or []) + [entry]


def read_tflite_contract(path) -> Optional[ModelContract]:
    """The contract stored in a .tflite, or None when the model carries none (e.g. a peer's model)."""
    data = load_tflite_bytes(path)
    text = contract_text(data, source=str(path))
    if text is None:
        return None
    return ModelContract.from_json(text, source=f"{path} ({TFLITE_METADATA_NAME} metadata)")


def contract_text(tflite_bytes: bytes, source: str = "model") -> Optional[str]:
    """The raw JSON of the contract metadata buffer, or None when there is none."""
    raw = metadata_buffer(tflite_bytes, TFLITE_METADATA_NAME, source)
    return None if raw is None else raw.decode("utf-8")


def metadata_buffer(tflite_bytes: bytes, name: str, source: Optional[str] = None) -> Optional[bytes]:
    """The bytes of the metadata buffer `name`, or None when the model has none; a one-line error
    (naming `source`) when the flatbuffer is damaged."""
    try:
        model = model_root(tflite_bytes)
        for i in range(model.MetadataLength()):
            entry = model.Metadata(i)
            if _name(entry.Name()) != name:
                continue
            buffer = model.Buffers(entry.Buffer())
            if buffer.Offset() > 1:  # models over 2 GB keep buffer data after the flatbuffer
                return bytes(tflite_bytes[buffer.Offset() : buffer.Offset() + buffer.Size()])
            return buffer.DataAsNumpy().tobytes() if buffer.DataLength() else b""
    except Exception:  # a damaged flatbuffer fails anywhere in the walk
        raise EdgeDeeplabError(
            f"{source + ': ' if source else ''}the .tflite flatbuffer is damaged (cannot read "
            f"its metadata); export the model again"
        ) from None
    return None


def _is_tflite(data: bytes) -> bool:
    return len(data) >= 8 and bytes(data[4:8]) == TFLITE_IDENTIFIER


def _name(raw) -> Optional[str]:
    if raw is None:
        return None
    return raw.decode("utf-8", "replace") if isinstance(raw, (bytes, bytearray)) else str(raw)


def tflite_format(path) -> str:
    """'tflite fp32', 'tflite fp16', 'tflite dynamic' (int8 weights, float activations) or
    'tflite int8' (full integer), with the I/O type when it is not float, e.g. 'tflite int8, uint8 I/O'.

    Read from the flatbuffer's tensor types: constant tensors (with data) are weights, the others
    activations. A QAT model and a post-training one look the same here; their names tell them apart.
    """
    data = Path(path).read_bytes()
    try:
        model = model_root(data)
        graph = model.Subgraphs(0)
        io_tensors = {graph.Inputs(0), graph.Outputs(0)}
        io_types = {graph.Tensors(i).Type() for i in io_tensors}
        weights, activations = set(), set()
        for i in set(range(graph.TensorsLength())) - io_tensors:
            tensor = graph.Tensors(i)
            buffer = model.Buffers(tensor.Buffer()) if tensor.Buffer() < model.BuffersLength() else None
            has_data = buffer is not None and (buffer.DataLength() > 0 or buffer.Size() > 0)
            (weights if has_data else activations).add(tensor.Type())
    except Exception:  # a file that is no flatbuffer fails anywhere in the walk
        raise EdgeDeeplabError(
            f"{path}: not a TFLite model (cannot read its flatbuffer); pass a .tflite written by `edge-deeplab export`"
        ) from None
    types = schema().TensorType
    if types.INT8 in activations or types.UINT8 in activations:
        name = "tflite int8"
    elif types.FLOAT16 in weights:
        name = "tflite fp16"
    elif types.INT8 in weights:
        name = "tflite dynamic"
    else:
        name = "tflite fp32"
    io_names = {types.INT8: "int8", types.UINT8: "uint8"}
    quantized_io = sorted({io_names[t] for t in io_types if t in io_names})
    return f"{name}, {'/'.join(quantized_io)} I/O" if quantized_io else name


def read_model_file(path):
    """The model at `path` in LiteRT's mutable object API (schema.ModelT)."""
    return model_object(Path(path).read_bytes())


def builtin_op_name(model, op) -> str:
    """ "CONV_2D", "CUSTOM", ... for an operator of a schema.ModelT (the extended builtin codes included)."""
    code = model.operatorCodes[op.opcodeIndex]
    names = {v: k for k, v in vars(schema().BuiltinOperator).items() if not k.startswith("_")}
    return names.get(max(code.builtinCode, code.deprecatedBuiltinCode), "UNKNOWN")


def runtime_versions() -> dict:
    """The LiteRT package's version, for benchmark reports."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return {"ai_edge_litert": version("ai-edge-litert")}
    except PackageNotFoundError:
        return {"ai_edge_litert": None}
