"""Which layers does int8 post-training quantization damage, and how much?

TensorFlow's QuantizationDebugger (tf.lite.experimental) builds a "debug" int8 model in which every
quantized op is followed by a NumericVerify op: the same op also runs in float on the dequantized
inputs and the difference of the two outputs is kept. Each op's error is therefore its own (the
error of its inputs is not carried forward), which is what says *where* quantization hurts.

Damage is ranked as TensorFlow's quantization-debugger guide does: rmse / scale, the root mean
square error of a layer's output in units of its own quantization step. Pure rounding of a
well-calibrated tensor gives about 1 / sqrt(12) = 0.29; much more means clipping by a too narrow
range, badly quantized weights (one scale for a channel with outliers) or a range so wide that the
useful values fall in a few steps. The report also gives each layer's mean and max absolute error
and its range (255 * scale).

TFLite fuses Conv + BatchNorm + ReLU into one op whose output tensor carries all their names
(`model/block_1_expand_relu/Relu6;model/block_1_expand/Conv2D`); each row names the Keras layer that
owns the op (the convolution, not its batch norm or activation) and lists the others.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
from typing import Optional

import numpy as np

from edge_deeplab.errors import EdgeDeeplabError

#: Uniform rounding noise in units of the quantization step: the ideal rmse / scale.
ROUNDING_NOISE = 1.0 / math.sqrt(12.0)
#: TensorFlow's debugger guide calls a layer suspicious above this rmse / scale.
SUSPICIOUS_RMSE_OVER_SCALE = 0.7
DEFAULT_TOP = 10

# Keras layer kinds that own a TFLite op (the ones fused into it are BN, activations).
_OWNING_KINDS = (
    "Conv2D",
    "DepthwiseConv2D",
    "SeparableConv2D",
    "Dense",
    "Conv2DTranspose",
    "Add",
    "Concatenate",
    "GlobalAveragePooling2D",
    "AveragePooling2D",
    "MaxPooling2D",
    "ResizeBilinear",
    "UpSampling2D",
)


@dataclasses.dataclass
class LayerDamage:
    """One quantized op of the int8 model and the error quantization added to its output."""

    rank: int  # 1 = most damaged
    layer: str  # the Keras layer that owns the op (or the tensor name where none is recognised)
    keras_layers: list  # every Keras layer fused into the op, in the tensor name's order
    op: str  # TFLite builtin op, e.g. CONV_2D
    tensor_name: str  # the op's output tensor: what QuantizationDebugOptions(denylisted_nodes=...) takes
    tensor_index: int
    rmse_over_scale: float  # the damage: RMS error in quantization steps (rounding alone gives 0.29)
    rmse: float
    mean_abs_error: float
    max_abs_error: float
    mean_error: float  # the bias: a systematic shift, not noise
    scale: float
    zero_point: int
    range: float  # 255 * scale, the float range the int8 tensor covers

    @property
    def suspicious(self) -> bool:
        """Whether the op's error is above SUSPICIOUS_RMSE_OVER_SCALE quantization steps (rounding alone gives
        ROUNDING_NOISE).
        """
        return self.rmse_over_scale > SUSPICIOUS_RMSE_OVER_SCALE

    def to_dict(self) -> dict:
        """The row as a dict, with `suspicious`."""
        return {**dataclasses.asdict(self), "suspicious": self.suspicious}


@dataclasses.dataclass
class QuantReport:
    """Every quantized op, most damaged first."""

    layers: list
    top: int
    num_images: int  # images the debug model ran on
    calibration: Optional[dict] = None  # the representative-data manifest

    def most_damaged(self, k: Optional[int] = None) -> list:
        """The most damaged ops, worst first.

        Args:
            k: how many; None: the report's `top`.
        """
        return self.layers[: self.top if k is None else k]

    def to_dict(self) -> dict:
        """The report as plain JSON: how the ranking reads, the images, the calibration, the most damaged layers and
        every op's row.
        """
        return {
            "ranking": "rmse / scale (RMS error of the op's output in quantization steps; rounding alone "
            f"gives {ROUNDING_NOISE:.2f}, above {SUSPICIOUS_RMSE_OVER_SCALE} is suspicious)",
            "num_images": self.num_images,
            "calibration": self.calibration,
            "most_damaged": [r.layer for r in self.most_damaged()],
            "layers": [r.to_dict() for r in self.layers],
        }


def make_debugger(model_b1, representative: np.ndarray, debug_images: Optional[np.ndarray] = None):
    """A QuantizationDebugger for int8 post-training quantization of a batch-1 Keras model.

    Calibrates on `representative` (normalised float32 [N, h, w, 3]) through the same converter set-up
    as `edge-deeplab export --formats int8` (float I/O); the debug model runs on `debug_images`
    (default: the representative images). The calibrated model is kept, so selective.py can requantize
    with some layers left in float without calibrating again.
    """
    import tensorflow as tf

    from edge_deeplab.converters.export import make_converter

    if representative is None or len(representative) == 0:
        raise EdgeDeeplabError("the quantization report needs representative images to calibrate with: pass --data")
    debug_images = representative if debug_images is None else debug_images
    converter = make_converter(model_b1, "int8", "float", representative)
    options = debug_options()
    try:
        return tf.lite.experimental.QuantizationDebugger(
            converter=converter, debug_dataset=lambda: ([image[None]] for image in debug_images), debug_options=options
        )
    except Exception as error:  # ConverterError and friends carry long MLIR dumps
        raise EdgeDeeplabError(
            f"int8 calibration for the quantization report failed: {str(error).strip().splitlines()[0][:300]}"
        ) from None


def debug_options(denylisted_nodes=(), denylisted_ops=()):
    """The QuantizationDebugger's options: a mean absolute error per layer, and the nodes and op types to leave
    in float.

    Args:
        denylisted_nodes: the tensor names of the nodes kept in float.
        denylisted_ops: the op types kept in float.
    """
    import tensorflow as tf

    return tf.lite.experimental.QuantizationDebugOptions(
        layer_debug_metrics={"mean_abs_error": lambda diff: np.mean(np.abs(diff))},
        denylisted_nodes=list(denylisted_nodes) or None,
        denylisted_ops=list(denylisted_ops) or None,
    )


def layer_report(
    debugger, model_b1, top: int = DEFAULT_TOP, num_images: Optional[int] = None, calibration: Optional[dict] = None
) -> QuantReport:
    """Run the debug model and rank its ops by damage (see the module docstring)."""
    if top < 0:
        raise EdgeDeeplabError(f"--top {top}: give a number of layers, 0 or more")
    debugger.run()
    dump = io.StringIO()
    debugger.layer_statistics_dump(dump)
    keras_names = {layer.name: type(layer).__name__ for layer in model_b1.layers}
    output_layers = list(model_b1.output_names)
    rows = []
    for record in csv.DictReader(io.StringIO(dump.getvalue())):
        scale = float(record["scale"])
        rmse = math.sqrt(float(record["mean_squared_error"]))
        layers = keras_layers_of(record["tensor_name"], keras_names, output_layers)
        rows.append(
            LayerDamage(
                rank=0,
                layer=owning_layer(layers, keras_names) or record["tensor_name"],
                keras_layers=layers,
                op=record["op_name"],
                tensor_name=record["tensor_name"],
                tensor_index=int(record["tensor_idx"]),
                rmse_over_scale=rmse / scale if scale > 0 else 0.0,
                rmse=rmse,
                mean_abs_error=float(record["mean_abs_error"]),
                max_abs_error=float(record["max_abs_error"]),
                mean_error=float(record["mean_error"]),
                scale=scale,
                zero_point=int(float(record["zero_point"])),
                range=255.0 * scale,
            )
        )
    if not rows:
        raise EdgeDeeplabError("the int8 debug model holds no quantized ops to report on; is every op denylisted?")
    rows.sort(key=lambda r: (-_finite(r.rmse_over_scale), r.tensor_index))
    for rank, row in enumerate(rows, start=1):
        row.rank = rank
    return QuantReport(layers=rows, top=top, num_images=num_images or 0, calibration=calibration)


def _finite(value: float) -> float:
    return value if math.isfinite(value) else -1.0


def keras_layers_of(tensor_name: str, keras_names, output_layers=()) -> list:
    """Keras layer names inside a TFLite tensor name, in order (no repeats).

    `model/block_1_expand_relu/Relu6;model/block_1_expand/Conv2D` -> [block_1_expand_relu, block_1_expand].
    The model's output is named by the converter's signature (`StatefulPartitionedCall:0`): it is
    the output layer's (`output_layers[0]`).
    """
    found = []
    for part in tensor_name.split(";"):
        for component in part.split("/"):
            if component in keras_names and component not in found:
                found.append(component)
    if not found and tensor_name.startswith("StatefulPartitionedCall"):
        index = int(tensor_name.rsplit(":", 1)[1]) if ":" in tensor_name else 0
        if index < len(output_layers):
            found.append(output_layers[index])
    return found


def owning_layer(layers: list, keras_names) -> Optional[str]:
    """The layer that owns a fused op: its convolution (or other computing layer), not the BN or ReLU."""
    for name in layers:
        if keras_names.get(name) in _OWNING_KINDS:
            return name
    return layers[-1] if layers else None


def analyse(
    model_path,
    data,
    top: int = DEFAULT_TOP,
    num_images: int = 100,
    seed: int = 0,
    calibration_split: str = "train",
    debug_images: Optional[int] = None,
):
    """(debugger, report, model_b1, config, contract) for a saved model folder and a dataset.

    `debug_images` limits how many of the representative images the debug model runs on (it runs
    every op twice, in int8 and in float, and compares them: the slow part at 257 px).
    """
    from edge_deeplab.data.representative import representative_images
    from edge_deeplab.converters.export import batch_one
    from edge_deeplab.data import open_dataset
    from edge_deeplab.model.saving import load_model, read_model_json

    config, contract, _ = read_model_json(model_path)
    representative, manifest = representative_images(open_dataset(data, calibration_split), contract, num_images, seed)
    model, _ = load_model(model_path)
    model_b1 = batch_one(model, config)
    chosen = representative if debug_images is None else representative[:debug_images]
    debugger = make_debugger(model_b1, representative, chosen)
    report = layer_report(debugger, model_b1, top, num_images=len(chosen), calibration=manifest)
    return debugger, report, model_b1, config, contract


def format_report(report: dict, rows: Optional[int] = None) -> str:
    """The most damaged layers as a table, from QuantReport.to_dict() (`rows` of them, default all)."""
    from edge_deeplab.tables import text_table

    lines = [
        text_table(
            ["rank", "layer", "op", "rmse/scale", "mean|err|", "max|err|", "range", "!"],
            [
                [
                    str(r["rank"]),
                    r["layer"][:30],
                    r["op"][:18],
                    f"{r['rmse_over_scale']:.3f}",
                    f"{r['mean_abs_error']:.3g}",
                    f"{r['max_abs_error']:.3g}",
                    f"{r['range']:.3g}",
                    "!" if r["suspicious"] else "",
                ]
                for r in report["layers"][:rows]
            ],
            right={0, 3, 4, 5, 6},
        )
    ]
    lines.append(
        f"{len(report['layers'])} quantized ops, debug model run on {report['num_images']} images; "
        f"rmse/scale = RMS error in quantization steps (rounding alone {ROUNDING_NOISE:.2f}; '!' above "
        f"{SUSPICIOUS_RMSE_OVER_SCALE})"
    )
    return "\n".join(lines)
