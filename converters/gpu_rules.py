"""The static GPU-delegate rules: each op and its attributes against the mobile GPU delegate's
documented constraints, tensorflow/lite/tools/versioning/gpu_compatibility.cc
(CheckGpuDelegateCompatibility), read from the flatbuffer without running anything."""
from __future__ import annotations

from edge_deeplab.litert.flatbuffer import schema

# gpu_compatibility.cc's tensor types; BOOL because its CAST and SELECT rules take bool tensors.
_GPU_TENSOR_TYPES = ("FLOAT32", "FLOAT16", "INT8", "UINT8", "INT32", "BOOL")
_UNARY = {"ABS", "CEIL", "COS", "ELU", "EXP", "FLOOR", "GELU", "LOG", "LOGISTIC", "NEG", "RSQRT", "SIGN", "SIN",
          "SQRT", "SQUARE", "TANH"}
_BINARY = {"ATAN2", "DIV", "EQUAL", "FLOOR_DIV", "FLOOR_MOD", "GREATER", "GREATER_EQUAL", "LOGICAL_AND", "LESS",
           "LESS_EQUAL", "MAXIMUM", "MINIMUM", "NOT_EQUAL", "POW", "SQUARED_DIFFERENCE", "SUB"}
# Ops gpu_compatibility.cc accepts whose attribute rules cannot matter for a segmentation network
# (or that it accepts unconditionally); the dynamic check still compiles them for real.
_ACCEPTED_AS_IS = {"BATCH_MATMUL", "CONCATENATION", "DENSIFY", "DYNAMIC_UPDATE_SLICE", "EMBEDDING_LOOKUP",
                   "LEAKY_RELU", "LSTM", "ONE_HOT", "PACK", "PRELU", "RELU", "RELU6", "RELU_N1_TO_1", "SPLIT",
                   "SPLIT_V", "STABLEHLO_CLAMP"}
_CUSTOM_OPS = ("Convolution2DTransposeBias", "MaxPoolingWithArgmax2D", "MaxUnpooling2D", "Resampler")
# Unsupported ops that models of this project meet, with the way out.
_KNOWN_UNSUPPORTED = {
    "SPACE_TO_BATCH_ND": "not supported by the GPU delegate; a dilated conv exported with batch None becomes "
                         "SPACE_TO_BATCH_ND -> conv -> BATCH_TO_SPACE_ND: export with batch 1",
    "BATCH_TO_SPACE_ND": "not supported by the GPU delegate; a dilated conv exported with batch None becomes "
                         "SPACE_TO_BATCH_ND -> conv -> BATCH_TO_SPACE_ND: export with batch 1",
}


class _Graph:
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
            if max(code.builtinCode, code.deprecatedBuiltinCode) == schema().BuiltinOperator.DEQUANTIZE \
                    and len(_ints(op.inputs)) == 1 and self._has_data(_ints(op.inputs)[0]):
                self._dequantized_constants.update(_ints(op.outputs))

    def tensor(self, index):
        return None if index is None or index < 0 else self.tensors[index]

    def type_name(self, index) -> str:
        return self._type_names.get(self.tensors[index].type, str(self.tensors[index].type))

    def dims(self, index) -> list[int]:
        return _ints(self.tensors[index].shape)

    def is_const(self, index) -> bool:
        return self._has_data(index) or index in self._dequantized_constants

    def _has_data(self, index) -> bool:
        buffer_index = self.tensors[index].buffer
        if not buffer_index:
            return False
        buffer = self.model.buffers[buffer_index]
        return (buffer.data is not None and len(buffer.data) > 0) or bool(buffer.offset)

    def name(self, index) -> str:
        raw = self.tensors[index].name
        return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def _op_reasons(name: str, op, graph: _Graph, notes: list) -> list[str]:
    """Why the GPU delegate rejects this op (empty when it accepts it)."""
    inputs = [i for i in _ints(op.inputs) if i >= 0]  # -1 marks an omitted optional input
    outputs = _ints(op.outputs)
    runtime = [i for i in inputs if not graph.is_const(i)]
    consts = [i for i in inputs if graph.is_const(i)]
    options = op.builtinOptions
    reasons = []

    def need_io(runtime_inputs, outputs_count=1, const_inputs=None):
        if len(runtime) != runtime_inputs:
            reasons.append(f"expects {runtime_inputs} runtime input(s), has {len(runtime)}")
        elif const_inputs is not None and len(consts) != const_inputs:
            reasons.append(f"expects {const_inputs} constant input(s), has {len(consts)}")
        elif len(outputs) != outputs_count:
            reasons.append(f"expects {outputs_count} output(s), has {len(outputs)}")

    def activation():
        fused = getattr(options, "fusedActivationFunction", 0)
        if fused == 5:  # ActivationFunctionType.SIGN_BIT
            reasons.append("fused activation SIGN_BIT is not supported")

    if name in _KNOWN_UNSUPPORTED:
        reasons.append(_KNOWN_UNSUPPORTED[name])
    elif name.startswith("CUSTOM("):
        if name[7:-1] not in _CUSTOM_OPS:
            reasons.append(f"custom op {name[7:-1]!r} is not supported")
    elif name in ("CONV_2D", "DEPTHWISE_CONV_2D", "TRANSPOSE_CONV"):
        if len(runtime) > 2 or len(outputs) != 1:
            reasons.append(f"expects 1-2 runtime inputs and 1 output, has {len(runtime)} and {len(outputs)}")
        if options is not None:
            if options.strideH <= 0 or options.strideW <= 0:
                reasons.append(f"stride {options.strideH}x{options.strideW} must be positive")
            if name != "TRANSPOSE_CONV" and (options.dilationHFactor <= 0 or options.dilationWFactor <= 0):
                reasons.append(f"dilation {options.dilationHFactor}x{options.dilationWFactor} must be positive")
            activation()
        if name == "DEPTHWISE_CONV_2D" and options is not None and len(inputs) >= 2 and outputs:
            in_dims, out_dims = graph.dims(inputs[0]), graph.dims(outputs[0])
            if len(in_dims) != 4 or len(out_dims) != 4:
                reasons.append("input and output must be 4-D")
            else:
                multiplier = options.depthMultiplier or max(1, out_dims[3] // max(1, in_dims[3]))
                if out_dims[3] != in_dims[3] * multiplier:
                    reasons.append("output channels != input channels x depth multiplier")
                elif multiplier != 1 and in_dims[3] != 1:
                    reasons.append(f"depth multiplier {multiplier} with {in_dims[3]} input channels: the GPU "
                                   f"needs depth multiplier 1 unless the input has one channel")
    elif name in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
        need_io(1)
        if options is not None:
            if min(options.filterHeight, options.filterWidth, options.strideH, options.strideW) <= 0:
                reasons.append("kernel and stride must be positive")
            activation()
    elif name == "RESIZE_BILINEAR":
        need_io(1)
        if options is not None and options.alignCorners and options.halfPixelCenters:
            reasons.append("align_corners and half_pixel_centers are both true; use half_pixel_centers alone "
                           "(tf.image.resize's default)")
    elif name == "RESIZE_NEAREST_NEIGHBOR":
        need_io(1)
    elif name in ("MEAN", "SUM", "REDUCE_MAX", "REDUCE_MIN", "REDUCE_PROD"):
        need_io(1, const_inputs=1 if name == "MEAN" else None)
        axes = _ints(op.inputs)[1] if len(_ints(op.inputs)) > 1 else -1
        if axes < 0 or not graph.is_const(axes):
            reasons.append(f"{name} is only supported with constant axes")
        elif graph.type_name(axes) != "INT32":
            reasons.append(f"axes must be INT32, not {graph.type_name(axes)}")
    elif name in ("ADD", "MUL"):
        if len(inputs) != 2:
            reasons.append(f"{name} requires two input tensors")
        else:
            a, b = graph.dims(inputs[0]), graph.dims(inputs[1])
            if name == "MUL" and len(a) == len(b) and any(x < y for x, y in zip(a, b)) \
                    and any(y < x for x, y in zip(a, b)):
                reasons.append(f"MUL needs one input at least as large as the other in every dimension ({a} x {b})")
            elif len(a) != len(b) and not _broadcastable(a, b):
                reasons.append(f"cannot broadcast {a} with {b}")
        if name == "MUL":
            activation()
    elif name == "ADD_N":
        if len(inputs) != 2:
            reasons.append("ADD_N only supports 2 inputs")
    elif name == "ARG_MAX":
        out_type = graph.type_name(outputs[0]) if outputs else "?"
        if out_type != "INT32":
            reasons.append(f"output type {out_type} is not supported: export the argmax with "
                           f"output_type=tf.int32")
        else:
            notes.append("ARG_MAX (int32) runs on LiteRT's GPU accelerator; the classic TFLite GPU delegate "
                         "(gpu_compatibility.cc) leaves it to the CPU")
    elif name == "CAST":
        need_io(1)
        if inputs and outputs:
            pair = (graph.type_name(inputs[0]), graph.type_name(outputs[0]))
            floats, ints = ("FLOAT16", "FLOAT32"), ("FLOAT32", "INT32")
            if not ((pair[0] == "BOOL" and pair[1] in floats) or (pair[0] in floats and pair[1] == "BOOL")
                    or (pair[0] in ints and pair[1] in ints)):
                reasons.append(f"cast {pair[0]} -> {pair[1]} is not supported")
    elif name == "SOFTMAX":
        if options is not None and options.beta != 1:
            reasons.append(f"softmax beta {options.beta} != 1 is not supported")
    elif name == "RESHAPE":
        need_io(1)
    elif name in ("TRANSPOSE", "TILE", "HARD_SWISH", "QUANTIZE"):
        need_io(1)
    elif name == "DEQUANTIZE":
        if len(inputs) != 1 or len(outputs) != 1:
            reasons.append("expects 1 input and 1 output")
        elif graph.type_name(inputs[0]) == "INT16":
            reasons.append("INT16 dequantization is not supported")
    elif name in ("SPACE_TO_DEPTH", "DEPTH_TO_SPACE"):
        need_io(1)
        if options is not None and options.blockSize <= 1:
            reasons.append(f"block size {options.blockSize} must be > 1")
    elif name in ("PAD", "PADV2", "MIRROR_PAD"):
        if name == "MIRROR_PAD" and options is not None and options.mode != 0:  # MirrorPadMode.REFLECT
            reasons.append("only REFLECT mirror padding is supported")
        need_io(1)
        paddings = graph.dims(inputs[1]) if len(inputs) > 1 else []
        if len(paddings) != 2 or paddings[0] not in (3, 4) or paddings[1] != 2:
            reasons.append(f"paddings must be 4x2 or 3x2, not {'x'.join(map(str, paddings)) or 'missing'}")
    elif name == "STRIDED_SLICE":
        if options is not None:
            for mask in ("ellipsisMask", "newAxisMask", "shrinkAxisMask"):
                if getattr(options, mask):
                    reasons.append(f"{mask} is not supported")
        if len(inputs) < 4:
            reasons.append("STRIDED_SLICE requires 4 inputs")
        elif len(graph.dims(inputs[0])) not in (3, 4):
            reasons.append("only 3-D or 4-D inputs are supported")
    elif name == "SLICE":
        if len(inputs) < 3:
            reasons.append("SLICE requires 3 inputs")
        elif len(graph.dims(inputs[0])) not in (3, 4):
            reasons.append("only 3-D or 4-D inputs are supported")
    elif name == "FULLY_CONNECTED":
        if options is not None:
            if options.weightsFormat != 0:
                reasons.append("only the default weights format is supported")
            if options.keepNumDims and inputs and outputs and \
                    len(graph.dims(inputs[0])) != len(graph.dims(outputs[0])):
                reasons.append("keep_num_dims with different input and output ranks is not supported")
        if len(runtime) > 2:
            reasons.append("more than 2 runtime inputs")
        if inputs and graph.is_const(inputs[0]):
            reasons.append("a constant input is not supported")
    elif name == "GATHER":
        if not ((len(runtime), len(consts)) in ((2, 0), (1, 1)) and len(outputs) == 1):
            reasons.append("can only handle 1 or 2 operands")
        elif graph.type_name(inputs[0]) == "INT32":
            reasons.append("INT32 input is not supported")
        elif len(graph.dims(inputs[1])) != 1 or graph.type_name(inputs[1]) != "INT32":
            reasons.append("indices must be 1-D INT32")
    elif name == "CUMSUM":
        if len(inputs) != 2 or graph.type_name(inputs[0]) not in ("FLOAT16", "FLOAT32") \
                or graph.type_name(inputs[1]) != "INT32" or not graph.is_const(inputs[1]):
            reasons.append("input must be float and the axis a constant INT32")
    elif name in ("SELECT", "SELECT_V2"):
        if len(inputs) != 3 or graph.type_name(inputs[0]) not in ("BOOL", "FLOAT16", "FLOAT32") \
                or any(graph.type_name(i) not in ("FLOAT16", "FLOAT32") for i in inputs[1:]):
            reasons.append("condition must be bool or float and both values float")
    elif name in _UNARY:
        need_io(1, const_inputs=0)
    elif name in _BINARY:
        if not ((len(runtime), len(consts)) in ((2, 0), (1, 1)) and len(outputs) == 1):
            reasons.append("can only handle 1 or 2 operands")
        if name in ("DIV", "SUB"):
            activation()
    elif name not in _ACCEPTED_AS_IS:
        reasons.append("not supported by the GPU delegate")

    if not reasons:  # the delegate takes only these tensor types, whatever the op
        for index in inputs + outputs:
            if graph.type_name(index) not in _GPU_TENSOR_TYPES:
                role = "input" if index in inputs else "output"
                reasons.append(f"{role} '{graph.name(index)}' is {graph.type_name(index)}; the GPU runs "
                               f"{'/'.join(_GPU_TENSOR_TYPES)} tensors only")
    return reasons


def _ints(values) -> list[int]:
    """The object API gives numpy arrays or None for int vectors."""
    return [] if values is None else [int(v) for v in values]


def _broadcastable(a: list[int], b: list[int]) -> bool:
    """NumPy-style broadcasting, which the delegate's offline check assumes (kEnhancedBroadcast)."""
    for x, y in zip(reversed(a), reversed(b)):
        if x != y and x != 1 and y != 1:
            return False
    return True
