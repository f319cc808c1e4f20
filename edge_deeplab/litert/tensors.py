"""What a .tflite file holds, read from its flatbuffer: constant tensors by name, and its ops in order.

Read with LiteRT's generated schema (ai_edge_litert.schema_py_generated), not an interpreter: nothing
runs, the bytes stay as stored (no delegate rewrites the graph), and a file that is not a model is
refused before any native code sees it.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.litert.flatbuffer import TFLITE_IDENTIFIER, schema


@dataclasses.dataclass(frozen=True)
class Op:
    """One operator: its builtin name (CONV_2D, ...), input and output tensor names, and its options
    as a dict in the schema's own field names (padding, strideH, dilationHFactor, alignCorners, ...)."""

    kind: str
    inputs: tuple
    outputs: tuple
    options: dict


@dataclasses.dataclass
class TfliteGraph:
    """A .tflite model's graph as plain Python: what the GPU rules and the quantization report read.

    Args:
        path: the .tflite file.
        shapes: tensor name -> shape tuple (every tensor).
        dtypes: tensor name -> numpy dtype name.
        constants: tensor name -> np.ndarray, for the tensors stored in the file (weights, biases).
        ops: the Ops, in execution order.
        inputs: the graph's input tensor names.
        outputs: the graph's output tensor names.
        quantization: tensor name -> (scales, zero points, axis) of its quantized tensors.
    """

    path: str
    shapes: dict  # tensor name -> shape tuple (every tensor)
    dtypes: dict  # tensor name -> numpy dtype name
    constants: dict  # tensor name -> np.ndarray, for tensors stored in the file (weights, biases)
    ops: list  # Op, in execution order
    inputs: tuple
    outputs: tuple
    #: tensor name -> (scales, zero points, axis) for quantized tensors: real = (q - zero point) * scale, with
    #: one scale per tensor (arrays of one) or one per slice along `axis` (per-channel weights).
    quantization: dict = dataclasses.field(default_factory=dict)

    def float_constant(self, name) -> np.ndarray:
        """A stored tensor in real units: float32 as stored; uint8/int8 weights and int32 biases of a quantized
        model dequantized with the tensor's own scale and zero point."""
        values = self.constants[name]
        if name not in self.quantization or values.dtype.kind == "f":
            return values.astype(np.float32)
        scales, zero_points, axis = self.quantization[name]
        shape = [1] * values.ndim
        if scales.size > 1:  # per channel: the scales run along `axis`
            shape[axis] = scales.size
        return ((values.astype(np.float64) - zero_points.reshape(shape)) * scales.reshape(shape)).astype(np.float32)

    def op_producing(self, tensor_name):
        """The Op whose outputs include `tensor_name`, or None (a graph input or a constant).

        Args:
            tensor_name: the tensor.
        """
        return next((op for op in self.ops if tensor_name in op.outputs), None)

    def op_reading(self, tensor_name):
        """The first Op whose inputs include `tensor_name`, or None (a graph output).

        Args:
            tensor_name: the tensor.
        """
        return next((op for op in self.ops if tensor_name in op.inputs), None)


def _builtin_names():
    return {value: name for name, value in vars(schema().BuiltinOperator).items() if not name.startswith("_")}


def _tensor_dtypes():
    numpy_names = {
        "FLOAT32": "float32",
        "FLOAT16": "float16",
        "INT32": "int32",
        "UINT8": "uint8",
        "INT64": "int64",
        "INT8": "int8",
        "INT16": "int16",
        "BOOL": "bool",
    }
    return {
        value: numpy_names.get(name, name.lower())
        for name, value in vars(schema().TensorType).items()
        if not name.startswith("_")
    }


def read_tflite(path) -> TfliteGraph:
    """The first subgraph of a .tflite file; a one-line EdgeDeeplabError for a missing or non-TFLite file."""
    path = Path(path)
    if not path.is_file():
        raise EdgeDeeplabError(f"{path} does not exist: give the path of a .tflite model file")
    data = path.read_bytes()
    if len(data) < 8 or data[4:8] != TFLITE_IDENTIFIER:
        raise EdgeDeeplabError(
            f"{path} is not a TFLite model (no {TFLITE_IDENTIFIER.decode()} flatbuffer identifier): give a .tflite file"
        )
    try:
        model = schema().ModelT.InitFromObj(schema().Model.GetRootAsModel(data, 0))
        graph = model.subgraphs[0]
    except Exception as error:  # a truncated or corrupt flatbuffer raises from deep inside the reader
        raise EdgeDeeplabError(
            f"{path} is a damaged TFLite file ({type(error).__name__}): download or export it again"
        ) from None
    builtin_names, dtype_names = _builtin_names(), _tensor_dtypes()
    names = [tensor.name.decode() for tensor in graph.tensors]
    shapes, dtypes, constants, quantization = {}, {}, {}, {}
    for name, tensor in zip(names, graph.tensors):
        shape = tuple(int(v) for v in (tensor.shape if tensor.shape is not None else ()))
        shapes[name], dtypes[name] = shape, dtype_names.get(tensor.type, str(tensor.type))
        params = tensor.quantization
        if params is not None and params.scale is not None and len(params.scale):
            zero_points = params.zeroPoint if params.zeroPoint is not None else np.zeros(len(params.scale))
            quantization[name] = (
                np.asarray(params.scale, np.float64),
                np.asarray(zero_points, np.float64),
                int(params.quantizedDimension),
            )
        buffer = model.buffers[tensor.buffer].data if tensor.buffer < len(model.buffers) else None
        if buffer is not None and len(buffer) and dtypes[name] in ("float32", "int32", "int8", "uint8", "float16"):
            constants[name] = np.frombuffer(bytes(buffer), dtype=dtypes[name]).reshape(shape)
    ops = []
    for op in graph.operators:
        code = model.operatorCodes[op.opcodeIndex]
        kind = builtin_names.get(max(code.builtinCode, code.deprecatedBuiltinCode), "CUSTOM")
        options = dict(vars(op.builtinOptions)) if op.builtinOptions is not None else {}
        ops.append(Op(kind, tuple(names[i] for i in op.inputs if i >= 0), tuple(names[i] for i in op.outputs), options))
    return TfliteGraph(
        str(path),
        shapes,
        dtypes,
        constants,
        ops,
        tuple(names[i] for i in graph.inputs),
        tuple(names[i] for i in graph.outputs),
        quantization,
    )


def run_tflite(path, inputs: np.ndarray, threads: int = 2) -> np.ndarray:
    """The model's first output for `inputs` (already preprocessed), on LiteRT's CPU interpreter."""
    from edge_deeplab.litert.interpreter import invoke, open_interpreter

    return invoke(open_interpreter(path, threads), np.asarray(inputs, np.float32))
