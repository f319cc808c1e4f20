"""A tiny DeepLab trained briefly on synthetic scenes, and one `edge-deeplab quant-report` run on it
that the report, selective and CLI tests all read (calibrating is the slow part: done once)."""

import edge_deeplab  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)

import json

import pytest

TOP = 5


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    """(saved model folder, dataset folder): input 65, alpha 0.35, 16-channel ASPP and decoder."""
    from edge_deeplab.data.synthetic import write_synthetic
    from edge_deeplab.model import DeepLabConfig
    from edge_deeplab.train import TrainConfig, TrainSpec, train

    root = tmp_path_factory.mktemp("calibration")
    data = write_synthetic(root / "scenes", n_train=12, n_val=3, size=65, seed=7)
    config = DeepLabConfig(
        input_size=(65, 65), depth_multiplier=0.35, aspp_channels=16, decoder_channels=16, low_level_channels=8
    )
    # Trained, not fresh: a fresh model's batch norms leave deep activations near zero, which
    # quantize trivially and would make the ranking meaningless.
    quick = TrainConfig(epochs=1, batch_size=4, optimizer="adamw", learning_rate=0.005, warmup_epochs=0)
    train(TrainSpec(data, config, quick), root / "float", progress=False, log=lambda line: None)
    return root / "float" / "last", data


@pytest.fixture(scope="session")
def cli_run(tiny_model, tmp_path_factory):
    """(printed output, quant_report.json, output folder) of one CLI run with top-k and named float layers."""
    from click.testing import CliRunner

    from edge_deeplab.cli import main

    model, data = tiny_model
    output = tmp_path_factory.mktemp("quant-report")
    result = CliRunner().invoke(
        main,
        [
            "quant-report",
            str(model),
            "--data",
            str(data),
            "--calibration-images",
            "8",
            "--top",
            str(TOP),
            "--selective",
            "0,1,3",
            "--keep-float",
            "aspp_projection",
            "--output",
            str(output),
            "--no-progress",
        ],
    )
    assert result.exit_code == 0, result.output
    return result.output, json.loads((output / "quant_report.json").read_text()), output
