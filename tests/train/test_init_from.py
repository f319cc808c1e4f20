"""`train --init-from`: a v3+ starts from a saved v3 (as `model import` writes), keeping its ASPP."""

import json

from click.testing import CliRunner

from edge_deeplab.cli import main
from edge_deeplab.data.synthetic import write_synthetic


def test_train_init_from_a_v3_keeps_its_aspp_and_adds_a_new_decoder(tmp_path):
    from edge_deeplab.model import DeepLabConfig, build_deeplab, save_model
    from edge_deeplab.model.saving import default_contract

    data = write_synthetic(tmp_path / "scenes", n_train=4, n_val=2, size=65, seed=3)
    # A small stand-in for an imported TF-DeepLab v3: no atrous branch, TF-DeepLab's rounding and resizes.
    v3 = DeepLabConfig(
        input_size=(65, 65),
        depth_multiplier=0.35,
        divisible_by=1,
        output_stride=16,
        atrous_rates=(),
        aspp_channels=16,
        use_decoder=False,
        align_corners=True,
    )
    save_model(build_deeplab(v3), v3, default_contract(v3), tmp_path / "v3")
    result = CliRunner().invoke(
        main,
        [
            "train",
            "--data",
            str(data),
            "--output",
            str(tmp_path / "run"),
            "--init-from",
            str(tmp_path / "v3"),
            "--decoder",
            "--decoder-channels",
            "16",
            "--epochs",
            "1",
            "--batch-size",
            "2",
            "--no-progress",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "layers copied, 10 new (decoder_low_level," in result.output
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert run["model"]["atrous_rates"] == [] and run["model"]["use_decoder"] is True
    assert run["model"]["align_corners"] is True and run["model"]["divisible_by"] == 1
    assert all(name.startswith("decoder") for name in run["init_layers"]["new"])
    assert "logits" in run["init_layers"]["copied"] and "aspp0" in run["init_layers"]["copied"]


def test_freeze_batch_norm_keeps_pretrained_statistics_and_trains_the_new_decoder(tmp_path):
    """fine_tune_batch_norm False (TF-DeepLab's flag): copied batch norm is untouched by training, the new
    decoder's learns, and a resumed run freezes the same layers (run.json)."""
    import numpy as np

    from edge_deeplab.model import DeepLabConfig, build_deeplab, load_model, save_model
    from edge_deeplab.model.saving import default_contract

    data = write_synthetic(tmp_path / "scenes", n_train=4, n_val=2, size=65, seed=3)
    v3 = DeepLabConfig(
        input_size=(65, 65),
        depth_multiplier=0.35,
        divisible_by=1,
        output_stride=16,
        atrous_rates=(),
        aspp_channels=16,
        use_decoder=False,
        align_corners=True,
    )
    before = build_deeplab(v3)
    save_model(before, v3, default_contract(v3), tmp_path / "v3")
    args = [
        "train",
        "--data",
        str(data),
        "--output",
        str(tmp_path / "run"),
        "--init-from",
        str(tmp_path / "v3"),
        "--decoder",
        "--decoder-channels",
        "16",
        "--epochs",
        "1",
        "--batch-size",
        "2",
        "--no-progress",
        "--freeze-batch-norm",
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert "bn_Conv1" in run["frozen_batch_norm"] and "aspp0_BN" in run["frozen_batch_norm"]
    assert not any(name.startswith("decoder") for name in run["frozen_batch_norm"])
    after, _ = load_model(tmp_path / "run" / "last")
    for name in ("bn_Conv1", "block_5_project_BN", "aspp0_BN"):
        for old, new in zip(before.get_layer(name).get_weights(), after.get_layer(name).get_weights()):
            np.testing.assert_array_equal(old, new)
    decoder_bn = after.get_layer("decoder_low_level_BN").get_weights()
    assert not np.allclose(decoder_bn[2], 0.0)  # moving mean learnt from batches
    resumed = CliRunner().invoke(
        main,
        ["train", "--output", str(tmp_path / "run"), "--data", str(data), "--resume", "--epochs", "2", "--no-progress"],
    )
    assert resumed.exit_code == 0, resumed.output


def test_freeze_backbone_trains_only_the_head(tmp_path):
    import numpy as np

    from edge_deeplab.model import DeepLabConfig, build_deeplab, load_model, save_model
    from edge_deeplab.model.saving import default_contract

    data = write_synthetic(tmp_path / "scenes", n_train=4, n_val=2, size=65, seed=3)
    v3 = DeepLabConfig(
        input_size=(65, 65), depth_multiplier=0.35, output_stride=16, aspp_channels=16, use_decoder=False
    )
    before = build_deeplab(v3)
    save_model(before, v3, default_contract(v3), tmp_path / "v3")
    result = CliRunner().invoke(
        main,
        [
            "train",
            "--data",
            str(data),
            "--output",
            str(tmp_path / "run"),
            "--init-from",
            str(tmp_path / "v3"),
            "--epochs",
            "1",
            "--batch-size",
            "2",
            "--no-progress",
            "--freeze-backbone",
        ],
    )
    assert result.exit_code == 0, result.output
    after, _ = load_model(tmp_path / "run" / "last")
    for name in ("Conv1", "block_16_project"):
        np.testing.assert_array_equal(before.get_layer(name).get_weights()[0], after.get_layer(name).get_weights()[0])
    assert not np.array_equal(before.get_layer("logits").get_weights()[0], after.get_layer("logits").get_weights()[0])
