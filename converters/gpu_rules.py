"""The static GPU-delegate rules: each op and its attributes against the mobile GPU delegate's
documented constraints, tensorflow/lite/tools/versioning/gpu_compatibility.cc
(CheckGpuDelegateCompatibility), read from the flatbuffer without running anything."""

from __future__ import annotations

import dataclasses

from edge_deeplab.litert.flatbuffer import schema

# gpu_compatibility.cc's tensor types; BOOL because its CAST and SELECT rules take bool tensors.
_GPU_TENSOR_TYPES = ("FLOAT32", "FLOAT16", "INT8", "UINT8", "INT32", "BOOL")
_UNARY = {
    "ABS",
    "CEIL",
    "COS",
    "ELU",
    "EXP",
    "FLOOR",
    "GELU",
    "LOG",
    "LOGISTIC",
    "NEG",
    "RSQRT",
    "SIGN",
    "SIN",
    "SQRT",
    "SQUARE",
    "TANH",
}
_BINARY = {
    "ATAN2",
    "DIV",
    "EQUAL",
    "FLOOR_DIV",
    "FLOOR_MOD",
    "GREATER",
    "GREATER_EQUAL",
    "LOGICAL_AND",
    "LESS",
    "LESS_EQUAL",
    "MAXIMUM",
    "MINIMUM",
    "NOT_EQUAL",
    "POW",
    "SQUARED_DIFFERENCE",
    "SUB",
}
# Ops gpu_compatibility.cc accepts whose attribute rules cannot matter for a segmentation network
# (or that it accepts unconditionally).
_ACCEPTED_AS_IS = {
    "BATCH_MATMUL",
    "CONCATENATION",
    "DENSIFY",
    "DYNAMIC_UPDATE_SLICE",
    "EMBEDDING_LOOKUP",
    "LEAKY_RELU",
    "LSTM",
    "ONE_HOT",
    "PACK",
    "PRELU",
    "RELU",
    "RELU6",
    "RELU_N1_TO_1",
    "SPLIT",
    "SPLIT_V",
    "STABLEHLO_CLAMP",
}
_CUSTOM_OPS = ("Convolution2DTransposeBias", "MaxPoolingWithArgmax2D", "MaxUnpooling2D", "Resampler")


class Graph:
    """Names, types and shapes of one subgraph's tensors, as the op rules need them."""

    def __init__(self, model, subgraph):
        self._type_names = {v: k for k, v in vars(schema().TensorType).items() if not k.startswith("_")}
        self.model, self.tensors = model, subgraph.tensors or []
        # fp16 models keep weights as FLOAT16 constants behind a DEQUANTIZE; the delegate folds those
        # into the constant they dequantize (delegates/utils.cc, FP16GraphPartitionHelper), so a
        # conv fed by one still has one runtime input.
        self._dequantized_constants = set()
        for op in subgraph.operators or []:
            code = model.operatorCodes[op.opcodeIndex]
            if (
                max(code.builtinCode, code.deprecatedBuiltinCode) == schema().BuiltinOperator.DEQUANTIZE
                and len(int_list(op.inputs)) == 1
                and self._has_data(int_list(op.inputs)[0])
            ):
                self._dequantized_constants.update(int_list(op.outputs))

    def tensor(self, index):
        """The tensor at `index`, or None for an absent optional input (index None or -1).

        Args:
            index: the tensor's index in the subgraph.
        """
        return None if index is None or index < 0 else self.tensors[index]

    def type_name(self, index) -> str:
        """The tensor's type name in the schema, e.g. "FLOAT32", "INT8".

        Args:
            index: the tensor's index in the subgraph.
        """
        return self._type_names.get(self.tensors[index].type, str(self.tensors[index].type))

    def dims(self, index) -> list[int]:
        """The tensor's shape as a list of ints.

        Args:
            index: the tensor's index in the subgraph.
        """
        return int_list(self.tensors[index].shape)

    def is_const(self, index) -> bool:
        """Whether the tensor is a constant: stored in the file, or a stored FLOAT16 constant behind a DEQUANTIZE
        (which the delegate folds).

        Args:
            index: the tensor's index in the subgraph.
        """
        return self._has_data(index) or index in self._dequantized_constants

    def _has_data(self, index) -> bool:
        buffer_index = self.tensors[index].buffer
        if not buffer_index:
            return False
        buffer = self.model.buffers[buffer_index]
        return (buffer.data is not None and len(buffer.data) > 0) or bool(buffer.offset)

    def name(self, index) -> str:
        """The tensor's name.

        Args:
            index: the tensor's index in the subgraph.
        """
        raw = self.tensors[index].name
        return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


@dataclasses.dataclass(frozen=True)
class _Op:
    """One operator as the rules see it: its tensors, split into runtime and constant inputs."""

    name: str
    raw_inputs: list  # tensor indices as stored, -1 marking an omitted optional input
    inputs: list  # the same without the -1s
    outputs: list
    runtime: list
    consts: list
    options: object  # the op's builtin options (object API), or None
    graph: Graph
    notes: list  # remarks for the report that do not fail the op


# A rule is a function (op) -> its reasons (an iterable of str, empty when the op passes). The helpers
# build the checks gpu_compatibility.cc repeats across ops; RULES below pairs ops with their rules.


def _io(runtime_inputs: int, outputs: int = 1, const_inputs=None):
    """CheckInputsOutputs / CheckInputsConstsOutputs: the first count that is off."""

    def rule(op):
        if len(op.runtime) != runtime_inputs:
            return [f"expects {runtime_inputs} runtime input(s), has {len(op.runtime)}"]
        if const_inputs is not None and len(op.consts) != const_inputs:
            return [f"expects {const_inputs} constant input(s), has {len(op.consts)}"]
        if len(op.outputs) != outputs:
            return [f"expects {outputs} output(s), has {len(op.outputs)}"]
        return []

    return rule


def _when_options(*rules):
    """The rules, applied only when the op carries builtin options."""
    return lambda op: [] if op.options is None else [reason for rule in rules for reason in rule(op)]


def _activation(op):
    """IsActivationSupported: any fused activation but SIGN_BIT."""
    if getattr(op.options, "fusedActivationFunction", 0) == 5:  # ActivationFunctionType.SIGN_BIT
        yield "fused activation SIGN_BIT is not supported"


def _one_or_two_operands(op):
    if not ((len(op.runtime), len(op.consts)) in ((2, 0), (1, 1)) and len(op.outputs) == 1):
        yield "can only handle 1 or 2 operands"


def _conv_io(op):
    if len(op.runtime) > 2 or len(op.outputs) != 1:
        yield f"expects 1-2 runtime inputs and 1 output, has {len(op.runtime)} and {len(op.outputs)}"


def _stride(op):
    if op.options.strideH <= 0 or op.options.strideW <= 0:
        yield f"stride {op.options.strideH}x{op.options.strideW} must be positive"


def _dilation(op):
    if op.options.dilationHFactor <= 0 or op.options.dilationWFactor <= 0:
        yield f"dilation {op.options.dilationHFactor}x{op.options.dilationWFactor} must be positive"


def _depth_multiplier(op):
    if op.options is None or len(op.inputs) < 2 or not op.outputs:
        return
    in_dims, out_dims = op.graph.dims(op.inputs[0]), op.graph.dims(op.outputs[0])
    if len(in_dims) != 4 or len(out_dims) != 4:
        yield "input and output must be 4-D"
        return
    multiplier = op.options.depthMultiplier or max(1, out_dims[3] // max(1, in_dims[3]))
    if out_dims[3] != in_dims[3] * multiplier:
        yield "output channels != input channels x depth multiplier"
    elif multiplier != 1 and in_dims[3] != 1:
        yield (
            f"depth multiplier {multiplier} with {in_dims[3]} input channels: the GPU needs depth multiplier 1 "
            f"unless the input has one channel"
        )


def _pool_window(op):
    if min(op.options.filterHeight, op.options.filterWidth, op.options.strideH, op.options.strideW) <= 0:
        yield "kernel and stride must be positive"


def _resize_flags(op):
    if op.options is not None and op.options.alignCorners and op.options.halfPixelCenters:
        yield (
            "align_corners and half_pixel_centers are both true; use half_pixel_centers alone "
            "(tf.image.resize's default)"
        )


def _constant_int32_axes(op):
    axes = op.raw_inputs[1] if len(op.raw_inputs) > 1 else -1
    if axes < 0 or not op.graph.is_const(axes):
        yield f"{op.name} is only supported with constant axes"
    elif op.graph.type_name(axes) != "INT32":
        yield f"axes must be INT32, not {op.graph.type_name(axes)}"


def _add_mul_shapes(op):
    if len(op.inputs) != 2:
        yield f"{op.name} requires two input tensors"
        return
    a, b = op.graph.dims(op.inputs[0]), op.graph.dims(op.inputs[1])
    if op.name == "MUL" and len(a) == len(b) and any(x < y for x, y in zip(a, b)) and any(y < x for x, y in zip(a, b)):
        yield f"MUL needs one input at least as large as the other in every dimension ({a} x {b})"
    elif len(a) != len(b) and not _broadcastable(a, b):
        yield f"cannot broadcast {a} with {b}"


def _int32_argmax(op):
    out_type = op.graph.type_name(op.outputs[0]) if op.outputs else "?"
    if out_type != "INT32":
        yield f"output type {out_type} is not supported: export the argmax with output_type=tf.int32"
    else:
        op.notes.append(
            "ARG_MAX (int32) runs on LiteRT's GPU accelerator; the classic TFLite GPU delegate "
            "(gpu_compatibility.cc) leaves it to the CPU"
        )


def _cast_types(op):
    if not (op.inputs and op.outputs):
        return
    source, target = op.graph.type_name(op.inputs[0]), op.graph.type_name(op.outputs[0])
    floats, ints = ("FLOAT16", "FLOAT32"), ("FLOAT32", "INT32")
    if not (
        (source == "BOOL" and target in floats)
        or (source in floats and target == "BOOL")
        or (source in ints and target in ints)
    ):
        yield f"cast {source} -> {target} is not supported"


def _softmax_beta(op):
    if op.options is not None and op.options.beta != 1:
        yield f"softmax beta {op.options.beta} != 1 is not supported"


def _dequantize(op):
    if len(op.inputs) != 1 or len(op.outputs) != 1:
        yield "expects 1 input and 1 output"
    elif op.graph.type_name(op.inputs[0]) == "INT16":
        yield "INT16 dequantization is not supported"


def _block_size(op):
    if op.options is not None and op.options.blockSize <= 1:
        yield f"block size {op.options.blockSize} must be > 1"


def _reflect_mode(op):
    if op.options is not None and op.options.mode != 0:  # MirrorPadMode.REFLECT
        yield "only REFLECT mirror padding is supported"


def _paddings(op):
    paddings = op.graph.dims(op.inputs[1]) if len(op.inputs) > 1 else []
    if len(paddings) != 2 or paddings[0] not in (3, 4) or paddings[1] != 2:
        yield f"paddings must be 4x2 or 3x2, not {'x'.join(map(str, paddings)) or 'missing'}"


def _slice(inputs_needed: int):
    def rule(op):
        if op.name == "STRIDED_SLICE" and op.options is not None:
            for mask in ("ellipsisMask", "newAxisMask", "shrinkAxisMask"):
                if getattr(op.options, mask):
                    yield f"{mask} is not supported"
        if len(op.inputs) < inputs_needed:
            yield f"{op.name} requires {inputs_needed} inputs"
        elif len(op.graph.dims(op.inputs[0])) not in (3, 4):
            yield "only 3-D or 4-D inputs are supported"

    return rule


def _fully_connected(op):
    if op.options is not None:
        if op.options.weightsFormat != 0:
            yield "only the default weights format is supported"
        if (
            op.options.keepNumDims
            and op.inputs
            and op.outputs
            and len(op.graph.dims(op.inputs[0])) != len(op.graph.dims(op.outputs[0]))
        ):
            yield "keep_num_dims with different input and output ranks is not supported"
    if len(op.runtime) > 2:
        yield "more than 2 runtime inputs"
    if op.inputs and op.graph.is_const(op.inputs[0]):
        yield "a constant input is not supported"


def _gather(op):
    if not ((len(op.runtime), len(op.consts)) in ((2, 0), (1, 1)) and len(op.outputs) == 1):
        yield "can only handle 1 or 2 operands"
    elif op.graph.type_name(op.inputs[0]) == "INT32":
        yield "INT32 input is not supported"
    elif len(op.graph.dims(op.inputs[1])) != 1 or op.graph.type_name(op.inputs[1]) != "INT32":
        yield "indices must be 1-D INT32"


def _cumsum(op):
    types = [op.graph.type_name(i) for i in op.inputs]
    if (
        len(types) != 2
        or types[0] not in ("FLOAT16", "FLOAT32")
        or types[1] != "INT32"
        or not op.graph.is_const(op.inputs[1])
    ):
        yield "input must be float and the axis a constant INT32"


def _select(op):
    types = [op.graph.type_name(i) for i in op.inputs]
    if (
        len(types) != 3
        or types[0] not in ("BOOL", "FLOAT16", "FLOAT32")
        or any(t not in ("FLOAT16", "FLOAT32") for t in types[1:])
    ):
        yield "condition must be bool or float and both values float"


_BATCH_ONE = (
    "not supported by the GPU delegate; a dilated conv exported with batch None becomes "
    "SPACE_TO_BATCH_ND -> conv -> BATCH_TO_SPACE_ND: export with batch 1"
)

#: (ops, rules): each op of a row is held to every rule of the row, in order (gpu_compatibility.cc's
#: CheckGpuDelegateCompatibility, one case per row). Ops in no row are refused; custom ops: _CUSTOM_OPS.
RULES = (
    (("SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND"), (lambda op: [_BATCH_ONE],)),
    (("CONV_2D", "DEPTHWISE_CONV_2D"), (_conv_io, _when_options(_stride, _dilation, _activation))),
    (("DEPTHWISE_CONV_2D",), (_depth_multiplier,)),
    (("TRANSPOSE_CONV",), (_conv_io, _when_options(_stride, _activation))),
    (("AVERAGE_POOL_2D", "MAX_POOL_2D"), (_io(1), _when_options(_pool_window, _activation))),
    (("RESIZE_BILINEAR",), (_io(1), _resize_flags)),
    (("MEAN",), (_io(1, const_inputs=1), _constant_int32_axes)),
    (("SUM", "REDUCE_MAX", "REDUCE_MIN", "REDUCE_PROD"), (_io(1), _constant_int32_axes)),
    (("ADD",), (_add_mul_shapes,)),
    (("MUL",), (_add_mul_shapes, _activation)),
    (("ADD_N",), (lambda op: [] if len(op.inputs) == 2 else ["ADD_N only supports 2 inputs"],)),
    (("ARG_MAX",), (_int32_argmax,)),
    (("CAST",), (_io(1), _cast_types)),
    (("SOFTMAX",), (_softmax_beta,)),
    (("RESIZE_NEAREST_NEIGHBOR", "RESHAPE", "TRANSPOSE", "TILE", "HARD_SWISH", "QUANTIZE"), (_io(1),)),
    (("DEQUANTIZE",), (_dequantize,)),
    (("SPACE_TO_DEPTH", "DEPTH_TO_SPACE"), (_io(1), _block_size)),
    (("PAD", "PADV2"), (_io(1), _paddings)),
    (("MIRROR_PAD",), (_reflect_mode, _io(1), _paddings)),
    (("STRIDED_SLICE",), (_slice(4),)),
    (("SLICE",), (_slice(3),)),
    (("FULLY_CONNECTED",), (_fully_connected,)),
    (("GATHER",), (_gather,)),
    (("CUMSUM",), (_cumsum,)),
    (("SELECT", "SELECT_V2"), (_select,)),
    (tuple(sorted(_UNARY)), (_io(1, const_inputs=0),)),
    (tuple(sorted(_BINARY - {"DIV", "SUB"})), (_one_or_two_operands,)),
    (("DIV", "SUB"), (_one_or_two_operands, _activation)),
    # Accepted whatever their attributes (or with rules that cannot matter for a segmentation network);
    # the dynamic check still compiles them for real.
    (tuple(sorted(_ACCEPTED_AS_IS)), ()),
)
_RULES_BY_OP: dict = {}
for _ops, _rules in RULES:
    for _name in _ops:
        _RULES_BY_OP[_name] = _RULES_BY_OP.get(_name, ()) + _rules


def op_reasons(name: str, op, graph: Graph, notes: list) -> list[str]:
    """Why the GPU delegate rejects this op (empty when it accepts it)."""
    raw_inputs, outputs = int_list(op.inputs), int_list(op.outputs)
    inputs = [i for i in raw_inputs if i >= 0]
    view = _Op(
        name,
        raw_inputs,
        inputs,
        outputs,
        runtime=[i for i in inputs if not graph.is_const(i)],
        consts=[i for i in inputs if graph.is_const(i)],
        options=op.builtinOptions,
        graph=graph,
        notes=notes,
    )
    if name.startswith("CUSTOM("):
        custom = name[len("CUSTOM(") : -1]
        reasons = [] if custom in _CUSTOM_OPS else [f"custom op {custom!r} is not supported"]
    elif name in _RULES_BY_OP:
        reasons = [reason for rule in _RULES_BY_OP[name] for reason in rule(view)]
    else:
        reasons = ["not supported by the GPU delegate"]

    if not reasons:  # the delegate takes only these tensor types, whatever the op
        for index in inputs + outputs:
            if graph.type_name(index) not in _GPU_TENSOR_TYPES:
                role = "input" if index in inputs else "output"
                reasons.append(
                    f"{role} '{graph.name(index)}' is {graph.type_name(index)}; the GPU runs "
                    f"{'/'.join(_GPU_TENSOR_TYPES)} tensors only"
                )
    return reasons


def int_list(values) -> list[int]:
    """The object API gives numpy arrays or None for int vectors."""
    return [] if values is None else [int(v) for v in values]


def _broadcastable(a: list[int], b: list[int]) -> bool:
    """NumPy-style broadcasting, which the delegate's offline check assumes (kEnhancedBroadcast)."""
    for x, y in zip(reversed(a), reversed(b)):
        if x != y and x != 1 and y != 1:
            return False
    return True
