"""`train --distill-from`: knowledge distillation from a teacher (Learning without Forgetting)."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from edge_deeplab.cli import main
from edge_deeplab.data.synthetic import write_synthetic


def test_distillation_is_zero_for_a_copy_and_grows_with_disagreement():
    import tensorflow as tf

    from edge_deeplab.train.distill import distillation

    rng = np.random.default_rng(0)
    teacher = tf.constant(rng.normal(size=(2, 9, 9, 2)), tf.float32)
    np.testing.assert_allclose(distillation(teacher, teacher).numpy(), 0.0, atol=1e-6)
    near = distillation(teacher, teacher + tf.constant(rng.normal(scale=0.1, size=(2, 9, 9, 2)), tf.float32))
    flipped = distillation(teacher, -teacher)
    assert near.shape == (2,) and np.all(near.numpy() > 0) and np.all(flipped.numpy() > 10 * near.numpy())
    # A teacher at another resolution is resized to the student's logits.
    assert distillation(tf.image.resize(teacher, (5, 5)), teacher).shape == (2,)


def _model(tmp_path, name, labels=None, **changes):
    from edge_deeplab.model import DeepLabConfig, build_deeplab, save_model
    from edge_deeplab.model.saving import default_contract

    config = DeepLabConfig(
        **{
            "input_size": (65, 65),
            "depth_multiplier": 0.35,
            "output_stride": 16,
            "aspp_channels": 16,
            "use_decoder": False,
            **changes,
        }
    )
    model = build_deeplab(config)
    save_model(model, config, default_contract(config, labels), tmp_path / name)
    return model


def test_a_teacher_pulls_the_student_towards_its_predictions_where_labels_are_silent(tmp_path):
    """Every label ignored: the only signal is the teacher's, so the student ends closer to it."""
    import tensorflow as tf
    import tf_keras

    from edge_deeplab.train.distill import distillation
    from edge_deeplab.train.setup import make_train_step

    tf_keras.utils.set_random_seed(1)
    teacher = _model(tmp_path, "teacher")
    student = _model(tmp_path, "student")
    # A fresh model predicts the same constant everywhere; the teacher gets an opinion of its own.
    rng = np.random.default_rng(2)
    teacher.get_layer("logits").set_weights(
        [rng.normal(scale=2.0, size=w.shape).astype("float32") for w in teacher.get_layer("logits").get_weights()]
    )
    images = tf.constant(np.random.default_rng(1).uniform(-1, 1, size=(2, 65, 65, 3)), tf.float32)
    ignored = tf.fill((2, 65, 65), 255)
    before = float(tf.reduce_mean(distillation(teacher(images), student(images))))
    optimizer = tf_keras.optimizers.SGD(0.05)
    from edge_deeplab.train.losses import cross_entropy

    step = make_train_step(student, optimizer, tf.distribute.get_strategy(), cross_entropy, 2, teacher, 1.0)
    # 30 steps: batch norm's moving statistics (momentum 0.9), which the inference-mode checks use, catch up.
    losses = [float(step(images, ignored)) for _ in range(30)]
    after = float(tf.reduce_mean(distillation(teacher(images), student(images))))
    assert before > 1e-3 and after < 0.5 * before, (before, after, losses)


def test_train_distill_from_records_the_teacher_and_resume_keeps_it(tmp_path):
    data = write_synthetic(tmp_path / "scenes", n_train=4, n_val=2, size=65, seed=3)
    _model(tmp_path, "teacher", output_stride=8)  # another output stride: rebuilt at the student's input
    args = [
        "train",
        "--data",
        str(data),
        "--output",
        str(tmp_path / "run"),
        "--distill-from",
        str(tmp_path / "teacher"),
        "--distill-weight",
        "0.5",
        "--alpha",
        "0.35",
        "--aspp-channels",
        "16",
        "--no-decoder",
        "--epochs",
        "1",
        "--batch-size",
        "2",
        "--no-progress",
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "distilling from" in result.output and "output stride 8" in result.output
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert run["teacher"] == str(tmp_path / "teacher") and run["train"]["distill_weight"] == 0.5
    resumed = CliRunner().invoke(
        main,
        ["train", "--data", str(data), "--output", str(tmp_path / "run"), "--resume", "--epochs", "2", "--no-progress"],
    )
    assert resumed.exit_code == 0 and "distilling from" in resumed.output, resumed.output
    other = CliRunner().invoke(
        main,
        [
            "train",
            "--data",
            str(data),
            "--output",
            str(tmp_path / "run"),
            "--resume",
            "--distill-from",
            str(data),
            "--no-progress",
        ],
    )
    assert other.exit_code != 0 and "--distill-from would be ignored" in other.output


@pytest.mark.parametrize(
    "problem, expected",
    [
        ("classes", "the teacher's classes (background, car) differ"),
        ("missing", "model.json"),
    ],
)
def test_a_wrong_teacher_is_one_line_and_leaves_no_run(tmp_path, problem, expected):
    data = write_synthetic(tmp_path / "scenes", n_train=4, n_val=2, size=65, seed=3)
    if problem == "classes":
        _model(tmp_path, "teacher", labels=("background", "car"))
    result = CliRunner().invoke(
        main,
        [
            "train",
            "--data",
            str(data),
            "--output",
            str(tmp_path / "run"),
            "--distill-from",
            str(tmp_path / "teacher"),
            "--alpha",
            "0.35",
            "--aspp-channels",
            "16",
            "--epochs",
            "1",
            "--batch-size",
            "2",
            "--no-progress",
        ],
    )
    assert result.exit_code != 0 and expected in result.output, result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "run" / "run.json").exists()


def test_qat_distils_from_the_float_model_unless_told_not_to(tmp_path):
    """`edge-deeplab qat` keeps what the float model knew: it is its own QAT's teacher by default."""
    data = write_synthetic(tmp_path / "scenes", n_train=4, n_val=2, size=65, seed=3)
    trained = CliRunner().invoke(
        main,
        [
            "train",
            "--data",
            str(data),
            "--output",
            str(tmp_path / "float"),
            "--alpha",
            "0.35",
            "--aspp-channels",
            "16",
            "--no-decoder",
            "--epochs",
            "1",
            "--batch-size",
            "2",
            "--no-progress",
        ],
    )
    assert trained.exit_code == 0, trained.output
    float_model = str(tmp_path / "float" / "best")
    for name, extra in (("qat", []), ("plain", ["--no-distill"])):
        result = CliRunner().invoke(
            main, ["qat", float_model, "--output", str(tmp_path / name), "--batch-size", "2", "--no-progress", *extra]
        )
        assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "qat" / "run.json").read_text())["teacher"] == float_model
    assert "teacher" not in json.loads((tmp_path / "plain" / "run.json").read_text())
