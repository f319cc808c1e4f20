"""Selective quantization: a denylisted layer stays float in the .tflite, and the table says what it costs."""

import pytest

from edge_deeplab.calibration.debugger import LayerDamage, QuantReport
from edge_deeplab.calibration.selective import resolve_layers
from edge_deeplab.errors import EdgeDeeplabError


def _model(output, label):
    from ai_edge_litert import schema_py_generated as schema
    from ai_edge_litert.tools import flatbuffer_utils

    path = next(output.glob(f"*_{label}.tflite"))
    model = flatbuffer_utils.read_model(str(path))
    return path, model.subgraphs[0], schema.TensorType


def _op_producing(graph, tensor_name):
    for op in graph.operators:
        name = graph.tensors[op.outputs[0]].name
        if (name.decode() if isinstance(name, bytes) else name) == tensor_name:
            return op
    raise AssertionError(f"no op writes {tensor_name}")


def _rows(document):
    return {row["name"]: row for row in document["selective"]}


def test_full_int8_has_no_float_ops(cli_run):
    _, document, _ = cli_run
    rows = _rows(document)
    assert rows["int8"]["float_ops"] == [] and rows["int8"]["kept_float"] == []
    assert rows["float"]["size_bytes"] > 2 * rows["int8"]["size_bytes"]


@pytest.mark.parametrize("k", [1, 3])
def test_top_k_layers_stay_float_with_float_weights(cli_run, k):
    _, document, output = cli_run
    top = document["report"]["layers"][:k]
    _, int8, types = _model(output, "int8")
    _, mixed, _ = _model(output, f"int8_{k}-float")
    for row in top:
        op_int8, op_mixed = _op_producing(int8, row["tensor_name"]), _op_producing(mixed, row["tensor_name"])
        assert int8.tensors[op_int8.outputs[0]].type == types.INT8
        assert mixed.tensors[op_mixed.outputs[0]].type == types.FLOAT32
        if row["op"] in ("CONV_2D", "DEPTHWISE_CONV_2D"):  # the filter: int8 in one, float in the other
            assert int8.tensors[op_int8.inputs[1]].type == types.INT8
            assert mixed.tensors[op_mixed.inputs[1]].type == types.FLOAT32
    selective = _rows(document)[f"int8 + {k} float"]
    assert len(selective["float_ops"]) == k and selective["kept_float"] == [row["layer"] for row in top]


def test_float_layers_change_size_and_add_quantize_pairs(cli_run):
    _, document, _ = cli_run
    rows = _rows(document)
    int8, given = rows["int8"], rows["int8 + given float"]
    assert rows["int8 + 3 float"]["size_bytes"] > rows["int8"]["size_bytes"]
    assert given["size_bytes"] > int8["size_bytes"] and given["size_vs_int8"] > 1.0
    # aspp_projection sits mid-graph: a DEQUANTIZE before it and a QUANTIZE after it.
    assert given["quantize_ops"] == int8["quantize_ops"] + 2 and given["op_count"] == int8["op_count"] + 2
    assert [op.split()[1] for op in given["float_ops"]] == ["CONV_2D"]


def test_named_layer_is_float_in_the_file(cli_run):
    _, document, output = cli_run
    _, graph, types = _model(output, "int8_given-float")
    float_outputs = [
        graph.tensors[op.outputs[0]].name.decode()
        for op in graph.operators
        if graph.tensors[op.outputs[0]].type == types.FLOAT32
    ]
    assert any("aspp_projection" in name for name in float_outputs)


def test_table_measures_miou_against_int8_and_float(cli_run):
    _, document, _ = cli_run
    rows = _rows(document)
    for row in rows.values():
        assert 0.0 <= row["miou"] <= 1.0 and 0.0 <= row["person_iou"] <= 1.0
        assert row["static_gate"] == "pass", row["gate_summary"]
        assert row["delta_miou_vs_int8"] == pytest.approx(100 * (row["miou"] - rows["int8"]["miou"]))
        assert row["delta_miou_vs_float"] == pytest.approx(100 * (row["miou"] - rows["float"]["miou"]))
    assert rows["int8"]["delta_miou_vs_int8"] == 0.0 and rows["float"]["delta_miou_vs_float"] == 0.0
    assert document["images"] == 3 and document["split"] == "val"


def _report():
    rows = [
        LayerDamage(
            rank=1,
            layer="block_1_expand",
            keras_layers=["block_1_expand_relu", "block_1_expand"],
            op="CONV_2D",
            tensor_name="m/block_1_expand_relu/Relu6;m/block_1_expand/Conv2D",
            tensor_index=3,
            rmse_over_scale=0.9,
            rmse=0.1,
            mean_abs_error=0.1,
            max_abs_error=0.2,
            mean_error=0.0,
            scale=0.1,
            zero_point=0,
            range=25.5,
        ),
        LayerDamage(
            rank=2,
            layer="decoder_upsample",
            keras_layers=["decoder_upsample"],
            op="RESIZE_BILINEAR",
            tensor_name="m/decoder_upsample/resize/ResizeBilinear",
            tensor_index=9,
            rmse_over_scale=0.3,
            rmse=0.1,
            mean_abs_error=0.1,
            max_abs_error=0.2,
            mean_error=0.0,
            scale=0.1,
            zero_point=0,
            range=25.5,
        ),
    ]
    return QuantReport(rows, top=2, num_images=1)


def test_names_resolve_to_tensors_or_op_types():
    report = _report()
    assert resolve_layers(report, ["block_1_expand_relu"]) == ([report.layers[0].tensor_name], [])
    assert resolve_layers(report, ["block_1_expand", "RESIZE_BILINEAR"]) == (
        [report.layers[0].tensor_name],
        ["RESIZE_BILINEAR"],
    )


@pytest.mark.parametrize("name", ["nope", "MEAN"])  # MEAN: an op type the model does not quantize
def test_unknown_layer_is_refused_with_the_known_ones(name):
    with pytest.raises(EdgeDeeplabError, match=f"{name}.*block_1_expand"):
        resolve_layers(_report(), [name])
