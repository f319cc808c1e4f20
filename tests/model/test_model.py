"""The DeepLab v3 / v3+ MobileNet-v2 builder: shapes, strides, atrous convolution, save and rebuild."""

import json

import numpy as np
import pytest
import tf_keras
from click.testing import CliRunner

from edge_deeplab.cli import main
from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.model import DeepLabConfig, build_deeplab, load_model, save_model
from edge_deeplab.model.saving import default_contract
from edge_deeplab.model.summary import effective_span, layer_macs, summarize

SMALL = dict(depth_multiplier=0.35, aspp_channels=16, decoder_channels=16, low_level_channels=8)


@pytest.mark.parametrize("size", [(257, 257), (513, 513), (97, 131)])
def test_output_size_equals_input_size(size):
    model = build_deeplab(DeepLabConfig(input_size=size, **SMALL))
    assert tuple(model.output_shape[1:3]) == size
    if size == (97, 131):  # run one odd, non-square size for real, not only its static shape
        out = model(np.zeros((1, *size, 3), np.float32), training=False)
        assert out.shape == (1, *size, 2)


@pytest.mark.parametrize("use_decoder", [True, False])
@pytest.mark.parametrize("output_stride", [8, 16, 32])
def test_feature_map_stride_equals_output_stride(output_stride, use_decoder):
    size = 129  # 128 + 1: feature maps of (size - 1) / stride + 1 keep the corners aligned
    model = build_deeplab(
        DeepLabConfig(input_size=(size, size), output_stride=output_stride, use_decoder=use_decoder, **SMALL)
    )
    features = model.get_layer("block_16_project_BN").output
    assert features.shape[1] == (size - 1) // output_stride + 1
    assert model.get_layer("block_2_depthwise_relu").output.shape[1] == (size - 1) // 4 + 1
    assert model.get_layer("aspp_projection_relu").output.shape[1:3] == features.shape[1:3]
    assert ("decoder_concat" in [layer.name for layer in model.layers]) == use_decoder


def test_strides_past_output_stride_become_dilation():
    model = build_deeplab(DeepLabConfig(input_size=(65, 65), output_stride=8, multi_grid=(1, 2, 4), **SMALL))
    rates = {
        layer.name: layer.dilation_rate[0]
        for layer in model.layers
        if isinstance(layer, tf_keras.layers.DepthwiseConv2D)
    }
    # Output stride 8: block 6's stride 2 becomes rate 2 for blocks 7-13, block 13's stride 2 makes it 4
    # after, and multi-grid (1, 2, 4) multiplies the last three blocks' rate 4.
    assert rates["block_6_depthwise"] == 1 and rates["block_7_depthwise"] == 2
    assert [rates[f"block_{b}_depthwise"] for b in (14, 15, 16)] == [4, 8, 16]
    assert [rates[f"aspp{i}_depthwise"] for i in (1, 2, 3)] == [12, 24, 36]


@pytest.mark.parametrize("rate", [1, 2, 6, 12])
def test_atrous_conv_has_plain_parameters_and_dilated_span(rate):
    k = 3
    plain = tf_keras.layers.DepthwiseConv2D(k, padding="same", use_bias=False)
    atrous = tf_keras.layers.DepthwiseConv2D(k, padding="same", dilation_rate=rate, use_bias=False)
    size = 2 * effective_span(k, rate) + 1
    for layer in (plain, atrous):
        layer.build((1, size, size, 1))
    assert atrous.count_params() == plain.count_params() == k * k

    # The span, measured: an impulse spreads over exactly k + (k - 1)(r - 1) pixels per side.
    atrous.set_weights([np.ones((k, k, 1, 1), np.float32)])
    impulse = np.zeros((1, size, size, 1), np.float32)
    impulse[0, size // 2, size // 2, 0] = 1
    response = atrous(impulse).numpy()[0, :, :, 0]
    rows = np.flatnonzero(response.any(axis=1))
    assert rows.max() - rows.min() + 1 == effective_span(k, rate) == k + (k - 1) * (rate - 1)
    assert np.count_nonzero(response) == k * k


def test_rebuild_from_saved_config_and_weights_is_identical(tmp_path):
    config = DeepLabConfig(input_size=(65, 65), num_classes=3, **SMALL)
    model = build_deeplab(config)
    # Move the batch-norm statistics away from their initial values, so that they must be saved too.
    for layer in model.layers:
        if layer.weights:
            layer.set_weights(
                [
                    np.random.default_rng(len(w.name)).normal(size=w.shape).astype(np.float32) * 0.1 + 0.5
                    for w in layer.weights
                ]
            )
    image = np.random.default_rng(0).normal(size=(2, 65, 65, 3)).astype(np.float32)
    folder = save_model(model, config, default_contract(config), tmp_path / "model")

    rebuilt, contract = load_model(folder)
    np.testing.assert_array_equal(rebuilt(image, training=False).numpy(), model(image, training=False).numpy())
    assert rebuilt.deeplab_config == config and contract.num_classes == 3
    assert json.loads((folder / "model.json").read_text())["config"]["aspp_channels"] == 16

    # The papers' trick: train at output stride 16, evaluate at 8 with the same weights, at another size.
    dense, _ = load_model(folder, output_stride=8, input_size=(97, 97))
    assert dense.output_shape == (None, 97, 97, 3)
    assert dense.get_layer("aspp1_depthwise").dilation_rate == (12, 12)
    np.testing.assert_array_equal(
        dense.get_layer("logits").get_weights()[0], model.get_layer("logits").get_weights()[0]
    )


def test_model_is_flat_and_free_of_lambda():
    model = build_deeplab(DeepLabConfig(input_size=(65, 65), **SMALL))
    kinds = {type(layer).__name__ for layer in model.layers}
    assert "Lambda" not in kinds and "Functional" not in kinds and "Model" not in kinds
    clone = tf_keras.models.model_from_json(model.to_json())  # serialisable, with ResizeBilinear registered
    assert len(clone.layers) == len(model.layers)


def test_macs_are_counted_from_the_graph():
    inputs = tf_keras.Input((16, 16, 8))
    x = tf_keras.layers.Conv2D(4, 3, strides=2, padding="same")(inputs)
    x = tf_keras.layers.DepthwiseConv2D(3, padding="same", dilation_rate=2)(x)
    model = tf_keras.Model(inputs, x)
    conv, depthwise = model.layers[1], model.layers[2]
    assert layer_macs(conv) == 8 * 8 * 3 * 3 * 8 * 4
    assert layer_macs(depthwise) == 8 * 8 * 3 * 3 * 4


def test_summary_reports_stages_and_receptive_field():
    config = DeepLabConfig(input_size=(129, 129), **SMALL)
    summary = summarize(build_deeplab(config), config)
    stages = {stage["layer"]: stage for stage in summary["stages"]}
    assert stages["Conv1_relu"]["receptive_field"] == 3 and stages["Conv1_relu"]["stride"] == 2
    assert stages["block_16_project_BN"]["stride"] == 16
    assert stages["aspp_image_pooling_conv_relu"]["receptive_field"] is None  # the whole image
    assert stages["upsample_logits"]["output_shape"] == [129, 129, 2]
    assert summary["macs"] == sum(summary["macs_by_part"].values()) > 0


def test_shared_imagenet_weights_load_into_every_backbone_layer(shared):
    path = shared / "weights" / "mobilenet_v2_1.0_imagenet160_no_top.h5"
    model = build_deeplab(DeepLabConfig(input_size=(65, 65)), backbone_weights=path)
    report = model.backbone_report
    assert report.matched == report.backbone_layers == 102
    assert set(report.unused_file_layers) == {"Conv_1", "Conv_1_bn"}  # the 1280-channel head DeepLab drops
    import h5py

    with h5py.File(path) as weights:
        np.testing.assert_array_equal(
            model.get_layer("block_7_depthwise").get_weights()[0],
            weights["block_7_depthwise"]["block_7_depthwise"]["depthwise_kernel:0"][()],
        )


def test_imagenet_offline_names_the_local_file_option(monkeypatch):
    def offline(*args, **kwargs):
        raise OSError("no network")

    monkeypatch.setattr(tf_keras.utils, "get_file", offline)
    with pytest.raises(EdgeDeeplabError, match="--backbone-weights"):
        build_deeplab(DeepLabConfig(input_size=(65, 65), **SMALL), backbone_weights="imagenet")


@pytest.mark.parametrize(
    "options, named",
    [
        (["--output-stride", "12"], "output_stride 12"),
        (["--alpha", "0.2"], "alpha"),
        (["--atrous-rates", "6,0,18"], "atrous_rates"),
        (["--atrous-rates", "6,-12,18"], "atrous_rates"),
        (["--backbone-weights", "/does/not/exist.h5"], "/does/not/exist.h5"),
        (["--aspp-version", "v2"], "--no-decoder"),
        (["--aspp-version", "v2", "--no-decoder", "--atrous-rates", "none"], "at least one atrous rate"),
    ],
)
def test_invalid_options_stop_with_one_line(options, named):
    result = CliRunner().invoke(main, ["model", "summary", "--input-size", "65", *options])
    assert result.exit_code != 0
    message = result.output.strip()
    assert named in message and len(message.splitlines()) == 1 and "Traceback" not in message


def test_summary_command_writes_json_and_prints_the_table(tmp_path):
    path = tmp_path / "summary.json"
    result = CliRunner().invoke(
        main,
        [
            "model",
            "summary",
            "--input-size",
            "65",
            "--alpha",
            "0.35",
            "--aspp-channels",
            "16",
            "--decoder-channels",
            "16",
            "--json",
            str(path),
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(path.read_text())
    assert summary["config"]["aspp_channels"] == 16 and summary["params"] > 0
    assert f"{summary['params']:,}" in result.output  # the table, as without --json


def test_encoder_logits_start_the_v3_plus_model_as_the_v3_model_it_comes_from(tmp_path):
    """--encoder-logits: the decoder's logits start at zero and are added to the encoder's, so a v3+
    model initialised from a v3 one predicts what it predicted (up to the two-step upsampling)."""
    from edge_deeplab.model.saving import load_matching_weights

    tf_keras.utils.set_random_seed(3)
    v3 = DeepLabConfig(input_size=(65, 65), depth_multiplier=0.35, aspp_channels=16, use_decoder=False, num_classes=3)
    source = build_deeplab(v3)
    logits = source.get_layer("logits")  # a random head has an opinion of its own
    logits.set_weights([w + np.random.default_rng(0).normal(scale=0.5, size=w.shape) for w in logits.get_weights()])
    save_model(source, v3, default_contract(v3), tmp_path / "v3")
    fused = build_deeplab(v3.replace(use_decoder=True, decoder_channels=16, encoder_logits=True))
    report = load_matching_weights(fused, tmp_path / "v3")
    assert "logits" in report.matched and "decoder_logits" in report.new
    images = np.random.default_rng(1).uniform(-1, 1, size=(2, 65, 65, 3)).astype("float32")
    before, after = np.asarray(source(images)), np.asarray(fused(images))
    assert np.mean(before.argmax(-1) == after.argmax(-1)) > 0.97 and np.abs(before - after).mean() < 0.05
    with pytest.raises(EdgeDeeplabError, match="encoder_logits .* needs the v3\\+ decoder"):
        v3.replace(encoder_logits=True)


def test_model_build_labels_takes_a_labels_config_like_train_or_names(tmp_path):
    """`model build --labels` reads what `train --labels` reads (a JSON file or a preset), or plain names."""
    tiny = ["--alpha", "0.35", "--input-size", "33", "--aspp-channels", "8", "--decoder-channels", "8"]
    config = tmp_path / "labels.json"
    config.write_text(json.dumps({"classes": ["bg", "human"], "map": {"0": "bg", "*": "human"}}))
    for labels, expected in (
        (str(config), ["bg", "human"]),
        ("voc-person", ["background", "person"]),
        ("sky,person", ["sky", "person"]),
    ):
        out = tmp_path / labels.replace("/", "_").replace(",", "_")
        result = CliRunner().invoke(main, ["model", "build", str(out), *tiny, "--labels", labels])
        assert result.exit_code == 0, result.output
        assert json.loads((out / "model.json").read_text())["contract"]["labels"] == expected
