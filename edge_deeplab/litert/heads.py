"""A softmax appended to a .tflite whose output is logits, so the model outputs probabilities.

The Android demo reads class probabilities straight from the accelerator's output and runs no softmax
of its own (a per-pixel `exp` in Java cost more than the whole remaining frame budget). Models
exported with `edge-deeplab export` already end in a softmax (the default output kind); older
exports and the shipped preset end in logits, and `export-android` gives them this head on the way
into the app instead of asking for a new export. SOFTMAX is an op the GPU accelerator runs, so the
graph stays whole on the GPU; a quantised logits output is dequantised first (DEQUANTIZE), so the
probabilities are float32 whatever the model's quantisation.
"""

from __future__ import annotations

import numpy as np

from edge_deeplab.contract import ModelContract
from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.litert.flatbuffer import embed_contract, model_bytes, model_object, schema


def with_probabilities(tflite_bytes: bytes, contract: ModelContract, source: str) -> tuple[bytes, ModelContract]:
    """(model, contract) with probabilities out: a logits model gets [DEQUANTIZE +] SOFTMAX on its
    output, its contract says "probabilities", and its standard metadata (if any) is rewritten to
    match; any other output kind is returned unchanged."""
    if contract.output_kind != "logits":
        return tflite_bytes, contract
    s = schema()
    model = model_object(tflite_bytes)
    graph = model.subgraphs[0]
    if len(model.subgraphs) != 1 or len(graph.outputs) != 1:
        raise EdgeDeeplabError(
            f"{source}: has {len(model.subgraphs)} subgraph(s) and {len(graph.outputs)} "
            f"output(s), not one of each; export it again with `edge-deeplab export`"
        )
    logits = graph.outputs[0]
    if graph.tensors[logits].type in (s.TensorType.INT8, s.TensorType.UINT8):
        logits = _append(model, s.BuiltinOperator.DEQUANTIZE, logits, "logits_dequantized")
    elif graph.tensors[logits].type != s.TensorType.FLOAT32:
        raise EdgeDeeplabError(
            f"{source}: its logits are neither float32 nor int8/uint8; export it again with "
            f"`edge-deeplab export --output-kind probabilities`"
        )
    options = s.SoftmaxOptionsT()
    options.beta = 1.0
    probabilities = _append(
        model, s.BuiltinOperator.SOFTMAX, logits, "probabilities", (s.BuiltinOptions.SoftmaxOptions, options)
    )
    for signature in model.signatureDefs or []:  # CompiledModel finds its outputs through the signature
        for entry in signature.outputs or []:
            if entry.tensorIndex == graph.outputs[0]:
                entry.tensorIndex = probabilities
    graph.outputs = [probabilities]
    head_contract = contract.with_output_kind("probabilities")
    return _with_metadata(model_bytes(model), head_contract, tflite_bytes), head_contract


def _append(model, op_code: int, source_tensor: int, name: str, options=None) -> int:
    """One op reading `source_tensor` into a new float32 tensor of its shape; returns the new index."""
    s = schema()
    graph = model.subgraphs[0]
    codes = model.operatorCodes
    index = next((i for i, c in enumerate(codes) if max(c.builtinCode, c.deprecatedBuiltinCode) == op_code), None)
    if index is None:
        code = s.OperatorCodeT()
        code.builtinCode = code.deprecatedBuiltinCode = op_code  # both under 127: the old field holds it too
        code.version = 1
        codes.append(code)
        index = len(codes) - 1
    source = graph.tensors[source_tensor]
    tensor = s.TensorT()
    tensor.name = name
    tensor.type = s.TensorType.FLOAT32
    tensor.shape = np.array(source.shape, dtype=np.int32)
    if source.shapeSignature is not None:
        tensor.shapeSignature = np.array(source.shapeSignature, dtype=np.int32)
    model.buffers.append(s.BufferT())  # an activation: an empty buffer of its own
    tensor.buffer = len(model.buffers) - 1
    graph.tensors.append(tensor)
    op = s.OperatorT()
    op.opcodeIndex = index
    op.inputs = np.array([source_tensor], dtype=np.int32)
    op.outputs = np.array([len(graph.tensors) - 1], dtype=np.int32)
    if options is not None:
        op.builtinOptionsType, op.builtinOptions = options
    graph.operators.append(op)
    return len(graph.tensors) - 1


def _with_metadata(data: bytes, contract: ModelContract, original: bytes) -> bytes:
    from edge_deeplab.litert.metadata import embed_standard_metadata, read_standard_metadata

    data = embed_contract(data, contract)
    standard = read_standard_metadata(original)
    if standard is None:
        return data
    return embed_standard_metadata(data, contract, name=standard["name"], version=standard.get("version"))
