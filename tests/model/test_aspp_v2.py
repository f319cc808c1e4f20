"""DeepLab v2's ASPP as a builder option: 3x3 atrous convolutions at rates 6/12/18/24 straight to
logits, summed; no batch norm, no image pooling. It builds, counts, saves, exports and runs on the
GPU delegate."""

import numpy as np
import pytest
import tf_keras
from click.testing import CliRunner

from edge_deeplab.cli import main
from edge_deeplab.model import DeepLabConfig, build_deeplab, load_model, save_model
from edge_deeplab.model.saving import default_contract, read_model_json
from edge_deeplab.model.summary import summarize

V2 = dict(aspp_version="v2", use_decoder=False, depth_multiplier=0.35, input_size=(65, 65))


def _aspp_layers(model):
    return [layer for layer in model.layers if layer.name.startswith("aspp")]


def test_v2_aspp_is_summed_atrous_logits_without_batch_norm_or_pooling():
    config = DeepLabConfig(num_classes=3, **V2)
    model = build_deeplab(config)
    branches = [layer for layer in _aspp_layers(model) if isinstance(layer, tf_keras.layers.Conv2D)]
    assert [b.dilation_rate[0] for b in branches] == [6, 12, 18, 24]
    assert all(b.kernel_size == (3, 3) and b.filters == 3 and b.use_bias for b in branches)
    assert all(b.input.shape[-1] == model.get_layer("block_16_project_BN").output.shape[-1] for b in branches)
    kinds = {type(layer).__name__ for layer in model.layers}
    assert "GlobalAveragePooling2D" not in kinds
    assert not [layer for layer in _aspp_layers(model) if isinstance(layer, tf_keras.layers.BatchNormalization)]
    assert isinstance(model.get_layer("aspp_v2_sum"), tf_keras.layers.Add)
    assert model.output_shape == (None, 65, 65, 3)

    # The sum is the logits: zero three branches and the output is the fourth's, upsampled.
    image = np.random.default_rng(0).normal(size=(1, 65, 65, 3)).astype(np.float32)
    for branch in branches[1:]:
        branch.set_weights([np.zeros_like(w) for w in branch.get_weights()])
    only_rate6 = tf_keras.Model(model.input, [model.get_layer("aspp_v2_sum").output, branches[0].output])
    summed, first = only_rate6(image)
    np.testing.assert_allclose(summed.numpy(), first.numpy(), atol=1e-6)


def test_summary_counts_the_v2_aspp():
    config = DeepLabConfig(**V2)
    model = build_deeplab(config)
    summary = summarize(model, config)
    height, width, channels = model.get_layer("block_16_project_BN").output.shape[1:]
    assert (height, width) == (5, 5)  # 65 px at output stride 16
    assert summary["macs_by_part"]["aspp"] == 4 * height * width * 3 * 3 * channels * 2  # 4 rates, 2 classes
    assert summary["macs_by_part"]["decoder"] == summary["macs_by_part"]["head"] == 0
    assert "aspp_v2_sum" in [stage["layer"] for stage in summary["stages"]]
    result = CliRunner().invoke(
        main, ["model", "summary", "--input-size", "65", "--alpha", "0.35", "--aspp-version", "v2", "--no-decoder"]
    )
    assert result.exit_code == 0, result.output
    assert "deeplab_v2_aspp" in result.output and "aspp 0.000 G" in result.output


def test_v2_model_saves_and_rebuilds(tmp_path):
    config = DeepLabConfig(**V2)
    model = build_deeplab(config)
    folder = save_model(model, config, default_contract(config), tmp_path / "model")
    loaded, _ = load_model(folder)
    saved_config, _, _ = read_model_json(folder)
    assert saved_config == config and saved_config.atrous_rates_or_default == (6, 12, 18, 24)
    image = np.random.default_rng(1).normal(size=(1, 65, 65, 3)).astype(np.float32)
    np.testing.assert_allclose(loaded(image).numpy(), model(image).numpy(), atol=1e-5)


@pytest.mark.slow
def test_v2_model_exports_to_tflite_and_passes_the_gpu_gate(tmp_path):
    from edge_deeplab.converters import gpu_gate
    from edge_deeplab.converters.export import batch_one, convert
    from edge_deeplab.litert.interpreter import run_images

    config = DeepLabConfig(**V2)
    model = build_deeplab(config)
    path = tmp_path / "v2.tflite"
    path.write_bytes(convert(batch_one(model, config), "fp32"))

    image = np.random.default_rng(2).normal(size=(1, 65, 65, 3)).astype(np.float32)
    np.testing.assert_allclose(run_images(path, image), model(image).numpy(), atol=1e-3)

    static = gpu_gate.static_check(path)
    assert static.status == gpu_gate.PASS, static.summary
    dynamic = gpu_gate.dynamic_check(path)
    if dynamic.status == gpu_gate.NOT_RUN:
        pytest.skip(f"no Vulkan device for the dynamic GPU check: {dynamic.summary}")
    assert dynamic.status == gpu_gate.PASS, dynamic.summary
