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
    v3 = DeepLabConfig(input_size=(65, 65), depth_multiplier=0.35, divisible_by=1, output_stride=16,
                       atrous_rates=(), aspp_channels=16, use_decoder=False, align_corners=True)
    save_model(build_deeplab(v3), v3, default_contract(v3), tmp_path / "v3")
    result = CliRunner().invoke(main, ["train", "--data", str(data), "--output", str(tmp_path / "run"),
                                       "--init-from", str(tmp_path / "v3"), "--decoder", "--decoder-channels", "16",
                                       "--epochs", "1", "--batch-size", "2", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "layers copied, 10 new (decoder_low_level," in result.output
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert run["model"]["atrous_rates"] == [] and run["model"]["use_decoder"] is True
    assert run["model"]["align_corners"] is True and run["model"]["divisible_by"] == 1
    assert all(name.startswith("decoder") for name in run["init_layers"]["new"])
    assert "logits" in run["init_layers"]["copied"] and "aspp0" in run["init_layers"]["copied"]
