"""The per-layer quantization report: every quantized op, named after its Keras layer, most damaged first."""

from edge_deeplab.calibration.debugger import LayerDamage, QuantReport, keras_layers_of, owning_layer
from edge_deeplab.calibration.selective import inspect_tflite
from conftest import TOP


def test_layers_are_sorted_by_damage(cli_run):
    _, document, _ = cli_run
    layers = document["report"]["layers"]
    damage = [row["rmse_over_scale"] for row in layers]
    assert damage == sorted(damage, reverse=True)
    assert [row["rank"] for row in layers] == list(range(1, len(layers) + 1))
    assert document["report"]["most_damaged"] == [row["layer"] for row in layers[:TOP]]
    # Quantization adds at least rounding noise wherever a layer's output is not constant.
    assert max(damage) > 0.2


def test_every_quantized_op_is_reported_under_its_keras_layer(cli_run, tiny_model):
    from edge_deeplab.model import load_model

    _, document, output = cli_run
    layers = document["report"]["layers"]
    int8 = inspect_tflite(next(output.glob("*_int8.tflite")))
    computing = [op for op in int8["ops"] if op not in ("QUANTIZE", "DEQUANTIZE")]
    assert sorted(row["op"] for row in layers) == sorted(computing)
    model, _ = load_model(tiny_model[0])
    keras_names = {layer.name for layer in model.layers}
    assert all(row["layer"] in keras_names and row["layer"] in row["keras_layers"] for row in layers)
    by_layer = {row["layer"]: row["op"] for row in layers}
    assert by_layer["Conv1"] == "CONV_2D" and by_layer["block_1_depthwise"] == "DEPTHWISE_CONV_2D"
    assert by_layer["aspp_concat"] == "CONCATENATION" and by_layer["upsample_logits"] == "RESIZE_BILINEAR"


def test_report_keeps_the_calibration_manifest(cli_run):
    _, document, _ = cli_run
    manifest = document["report"]["calibration"]
    assert manifest["num_images"] == 8 and len(manifest["ids"]) == 8 and manifest["dataset"].endswith("train")
    assert document["report"]["num_images"] == 8


def test_cli_prints_both_tables(cli_run):
    output, document, _ = cli_run
    assert "rmse/scale" in output and "d float" in output
    assert document["report"]["layers"][0]["layer"] in output
    for name in ("float", "int8", "int8 + 1 float", "int8 + 3 float", "int8 + given float"):
        assert f"\n{name} " in output


def test_fused_tensor_names_map_to_the_owning_layer():
    kinds = {
        "block_1_expand": "Conv2D",
        "block_1_expand_BN": "BatchNormalization",
        "block_1_expand_relu": "ReLU",
        "upsample_logits": "ResizeBilinear",
    }
    name = "model/block_1_expand_relu/Relu6;model/block_1_expand_BN/FusedBatchNormV3;model/block_1_expand/Conv2D"
    layers = keras_layers_of(name, kinds)
    assert layers == ["block_1_expand_relu", "block_1_expand_BN", "block_1_expand"]
    assert owning_layer(layers, kinds) == "block_1_expand"
    assert keras_layers_of("StatefulPartitionedCall:0", kinds, ["upsample_logits"]) == ["upsample_logits"]
    assert keras_layers_of("unrelated/tensor", kinds) == []


def test_most_damaged_and_top():
    rows = [
        LayerDamage(
            rank=i + 1,
            layer=f"l{i}",
            keras_layers=[f"l{i}"],
            op="CONV_2D",
            tensor_name=f"t{i}",
            tensor_index=i,
            rmse_over_scale=1.0 - i / 10,
            rmse=0.1,
            mean_abs_error=0.1,
            max_abs_error=0.2,
            mean_error=0.0,
            scale=0.1,
            zero_point=0,
            range=25.5,
        )
        for i in range(6)
    ]
    report = QuantReport(rows, top=3, num_images=4)
    assert [r.layer for r in report.most_damaged()] == ["l0", "l1", "l2"]
    assert [r.layer for r in report.most_damaged(1)] == ["l0"]
    assert report.to_dict()["most_damaged"] == ["l0", "l1", "l2"]
    assert rows[0].suspicious and not rows[5].suspicious  # 1.0 and 0.5 against the 0.7 threshold
