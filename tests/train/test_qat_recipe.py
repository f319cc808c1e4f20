"""The QAT recipe: batch norm frozen after a warm-up (and still frozen after a resume), activation
ranges initialised from representative images."""

import numpy as np

from edge_deeplab.data.synthetic import write_synthetic
from edge_deeplab.model import DeepLabConfig, build_deeplab, load_model
from edge_deeplab.model.qat import batch_norm_layers, init_activation_ranges, quantize_deeplab
from edge_deeplab.train import TrainConfig, TrainSpec, train

CONFIG = DeepLabConfig(
    input_size=(65, 65), depth_multiplier=0.35, aspp_channels=16, decoder_channels=16, low_level_channels=8
)


def _statistics(folder):
    model, _ = load_model(folder)
    return [
        np.concatenate([layer.moving_mean.numpy(), layer.moving_variance.numpy()]) for layer in batch_norm_layers(model)
    ]


def test_qat_freezes_batch_norm_after_the_warm_up_and_a_resume_keeps_it_frozen(tmp_path):
    data = write_synthetic(tmp_path / "scenes", n_train=16, n_val=4, size=65, seed=5)
    quick = TrainConfig(epochs=1, batch_size=4, optimizer="adamw", learning_rate=0.005, warmup_epochs=0)
    train(TrainSpec(data, CONFIG, quick), tmp_path / "float", progress=False, log=lambda line: None)
    # 4 steps per epoch: batch norm updates at steps 0 and 1, is frozen from step 2 on.
    recipe = quick.replace(optimizer="sgd", learning_rate=0.002, freeze_batch_norm_after_epochs=0.5, qat_range_images=4)
    first, resumed = [], []
    train(
        TrainSpec(data, None, recipe, init_from=tmp_path / "float" / "last", qat=True),
        tmp_path / "qat",
        progress=False,
        log=first.append,
    )
    assert any(line.startswith("batch norm frozen at step 2:") for line in first), first
    assert any("activation ranges set from the float model on 4 representative images" in line for line in first)
    after_epoch_1 = _statistics(tmp_path / "qat" / "last")
    # The warm-up steps moved the statistics away from the float model's.
    assert any(not np.array_equal(a, b) for a, b in zip(after_epoch_1, _statistics(tmp_path / "float" / "last")))

    train(
        TrainSpec(data, None, TrainConfig(epochs=2)), tmp_path / "qat", resume=True, progress=False, log=resumed.append
    )
    # Resumed at step 4, past the freeze step: frozen again before its first step; 4 more steps trained.
    assert any(line.startswith("batch norm frozen at step 4:") for line in resumed), resumed
    after_epoch_2 = _statistics(tmp_path / "qat" / "last")
    assert len(after_epoch_2) == len(after_epoch_1) > 0
    for a, b in zip(after_epoch_1, after_epoch_2):
        np.testing.assert_array_equal(a, b)


def test_activation_ranges_come_from_the_float_activations():
    model = build_deeplab(CONFIG)
    images = np.random.default_rng(0).uniform(-1, 1, (6, 65, 65, 3)).astype(np.float32)
    qat = quantize_deeplab(model)
    float_logits = model(images, training=False).numpy()
    before = np.abs(qat(images, training=False).numpy() - float_logits).mean()
    count = init_activation_ranges(qat, images, batch_size=4)
    ranges = {
        v.name: float(v.numpy())
        for v in qat.non_trainable_variables
        if v.name.endswith(("output_min:0", "output_max:0")) and v.shape.rank == 0
    }
    assert count > 10 and ranges
    assert not [name for name, value in ranges.items() if value == -6.0]  # no minimum left at tfmot's start
    after = np.abs(qat(images, training=False).numpy() - float_logits).mean()
    assert after < before / 3, (before, after)
