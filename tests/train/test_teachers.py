"""`train --distill-from` with TFLite teachers: person probability from the whole output, several teachers."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from edge_deeplab.cli import main
from edge_deeplab.errors import EdgeDeeplabError

GOOGLE = "peers/deeplabv3-mnv2-dm05-voc"
PERSON, HORSE = 15, 13


def test_teacher_specs_carry_their_own_weight():
    from edge_deeplab.train.teachers import TeacherSpec, teacher_specs, teacher_text

    specs = teacher_specs(["peer:coral-voc:weight=1.5", "preset:person:int8", "runs/x/best"])
    assert [(s.model, s.weight) for s in specs] == [
        ("peer:coral-voc", 1.5),
        ("preset:person:int8", None),
        ("runs/x/best", None),
    ]
    assert [s.is_tflite for s in specs] == [True, True, False]
    assert TeacherSpec.parse("a/model.tflite").is_tflite and not TeacherSpec.parse("preset:person").is_tflite
    assert teacher_text(specs[:1]) == "peer:coral-voc:weight=1.5" and len(teacher_text(specs)) == 3
    for bad in ("peer:coral-voc:weight=x", "peer:coral-voc:weight=-1", "peer:coral-voc:weight=nan"):
        with pytest.raises(EdgeDeeplabError, match="weight must be a finite number"):
            TeacherSpec.parse(bad)


def test_person_distillation_is_zero_when_the_student_agrees_and_merges_the_other_classes():
    import tensorflow as tf

    from edge_deeplab.train.teachers import person_distillation

    rng = np.random.default_rng(0)
    logits = tf.constant(rng.normal(size=(2, 7, 7, 3)), tf.float32)  # classes: background, person, car
    probabilities = tf.nn.softmax(logits).numpy()
    agree = probabilities[..., 1:2]  # person against background + car together
    assert np.allclose(person_distillation(tf.constant(agree), [1.0], logits, person=1).numpy(), 0.0, atol=1e-5)
    # Two teachers, the second disagreeing: only its weight counts.
    both = tf.constant(np.concatenate([agree, 1.0 - agree], axis=-1))
    one = person_distillation(both, [1.0, 1.0], logits, person=1).numpy()
    two = person_distillation(both, [1.0, 2.0], logits, person=1).numpy()
    assert np.all(one > 0.05) and np.allclose(two, 2 * one, rtol=1e-4)


def test_a_person_teacher_pulls_the_student_where_labels_are_silent():
    import tensorflow as tf
    import tf_keras

    from edge_deeplab.model import DeepLabConfig, build_deeplab
    from edge_deeplab.train.losses import cross_entropy
    from edge_deeplab.train.setup import make_train_step

    class Teachers:  # what TfliteTeachers hands the step: weights and the student's person class
        weights, person = [1.0], 1

    tf_keras.utils.set_random_seed(0)
    student = build_deeplab(
        DeepLabConfig(input_size=(65, 65), depth_multiplier=0.35, aspp_channels=16, use_decoder=False)
    )
    images = tf.constant(np.random.default_rng(1).uniform(-1, 1, size=(2, 65, 65, 3)), tf.float32)
    ignored = tf.fill((2, 65, 65), 255)
    person_everywhere = tf.fill((2, 65, 65, 1), 0.95)

    def person_probability():
        return float(tf.reduce_mean(tf.nn.softmax(student(images))[..., 1]))

    before = person_probability()
    step = make_train_step(
        student,
        tf_keras.optimizers.SGD(0.05),
        tf.distribute.get_strategy(),
        cross_entropy,
        2,
        tflite_teachers=Teachers(),
    )
    losses = [float(step(images, ignored, person_everywhere)) for _ in range(15)]
    assert losses[-1] < losses[0] and person_probability() > before + 0.2


@pytest.fixture(scope="module")
def golden_photo(shared):
    import cv2

    folder = shared / GOOGLE
    rgb = cv2.cvtColor(cv2.imread(str(folder / "golden_input.jpg")), cv2.COLOR_BGR2RGB)
    mask = cv2.imread(str(folder / "golden_mask_x10.png"), cv2.IMREAD_UNCHANGED) // 10
    return rgb.astype(np.float32), mask


@pytest.mark.parametrize(
    "peer, horse_limit", [("peer:deeplabv3-voc", 0.02), ("peer:coral-voc", 0.15), ("peer:mediapipe-selfie", 1.0)]
)
def test_peer_teachers_say_person_against_everything_else(shared, golden_photo, peer, horse_limit):
    """VOC teachers: softmax over all 21 classes (Coral's through the scores its argmax reads), so the
    golden photo's horse is not a person; MediaPipe: its probability as it is (it has no horse class)."""
    from edge_deeplab.train.teachers import TeacherSpec, TfliteTeacher

    rgb, mask = golden_photo
    probability = TfliteTeacher(TeacherSpec(peer)).person_probability(rgb[np.newaxis])[0]
    assert probability.shape == mask.shape and 0.0 <= probability.min() and probability.max() <= 1.0
    person, horse = mask == PERSON, mask == HORSE
    assert (probability[person] > 0.5).mean() > 0.7  # Coral finds 80 % of the rider in this 257 px photo
    assert (probability[horse] > 0.5).mean() <= horse_limit


def test_coral_teacher_agrees_with_coral_s_own_argmax(shared, golden_photo):
    import cv2

    from edge_deeplab.litert.interpreter import open_interpreter
    from edge_deeplab.peers import resolve_peer
    from edge_deeplab.train.teachers import TeacherSpec, TfliteTeacher

    rgb, _ = golden_photo
    _, path = resolve_peer("peer:coral-voc")
    interpreter = open_interpreter(path)
    interpreter.set_tensor(
        interpreter.get_input_details()[0]["index"],
        cv2.resize(rgb, (513, 513), interpolation=cv2.INTER_LINEAR).round().astype(np.uint8)[None],
    )
    interpreter.invoke()
    argmax = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])[0] == PERSON
    resized = cv2.resize(rgb, (513, 513), interpolation=cv2.INTER_LINEAR)
    probability = TfliteTeacher(TeacherSpec("peer:coral-voc")).person_probability(resized[np.newaxis])[0]
    assert float(np.mean((probability > 0.5) == argmax)) > 0.98


def test_a_tflite_without_a_contract_or_a_student_without_person_is_refused(shared, tmp_path):
    from edge_deeplab.contract import ModelContract
    from edge_deeplab.train.teachers import TeacherSpec, TfliteTeacher, TfliteTeachers

    with pytest.raises(EdgeDeeplabError, match="carries no edge-deeplab contract.*peer:NAME=PATH"):
        TfliteTeacher(TeacherSpec(str(shared / GOOGLE / "deeplabv3_257.tflite")))
    with pytest.raises(EdgeDeeplabError, match="teacher model not found"):
        TfliteTeacher(TeacherSpec(str(tmp_path / "missing.tflite")))
    cars = ModelContract(labels=("background", "car"), input_height=65, input_width=65)
    with pytest.raises(EdgeDeeplabError, match="name no 'person'"):
        TfliteTeachers([TeacherSpec("peer:mediapipe-selfie")], 1.0, cars, log=lambda _: None)


def test_train_with_two_tflite_teachers_records_them_and_keeps_them_on_resume(shared, tmp_path):
    from edge_deeplab.data.synthetic import write_synthetic

    data = tmp_path / "syn"
    write_synthetic(data, n_train=8, n_val=4, size=65, seed=0)
    run = tmp_path / "run"
    tiny = [
        "--alpha",
        "0.35",
        "--aspp-channels",
        "16",
        "--decoder-channels",
        "16",
        "--input-size",
        "65",
        "--batch-size",
        "4",
        "--no-progress",
    ]
    teachers = ["--distill-from", "peer:mediapipe-selfie:weight=2", "--distill-from", "peer:deeplabv3-voc"]
    result = CliRunner().invoke(
        main, ["train", "--data", str(data), "--output", str(run), "--epochs", "1", *teachers, *tiny]
    )
    assert result.exit_code == 0, result.output
    assert "distilling from peer:mediapipe-selfie" in result.output and "weight 2" in result.output
    recorded = json.loads((run / "run.json").read_text())["teacher"]
    assert recorded == ["peer:mediapipe-selfie:weight=2", "peer:deeplabv3-voc"]
    result = CliRunner().invoke(
        main,
        [
            "train",
            "--data",
            str(data),
            "--output",
            str(run),
            "--resume",
            "--epochs",
            "2",
            "--distill-from",
            "peer:coral-voc",
            "--no-progress",
        ],
    )
    assert result.exit_code != 0 and "--distill-from" in result.output
    result = CliRunner().invoke(
        main, ["train", "--data", str(data), "--output", str(run), "--resume", "--epochs", "2", "--no-progress"]
    )
    assert result.exit_code == 0, result.output
    assert "distilling from peer:deeplabv3-voc" in result.output
    assert [e["epoch"] for e in json.loads((run / "history.json").read_text())["epochs"]] == [1, 2]
    # QAT keeps the float run's TFLite teachers beside the float model it distils from.
    qat = tmp_path / "qat"
    result = CliRunner().invoke(
        main, ["qat", str(run / "best"), "--output", str(qat), "--epochs", "1", "--batch-size", "4", "--no-progress"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads((qat / "run.json").read_text())["teacher"] == [str(run / "best"), *recorded]


def test_crf_refined_targets_snap_a_blurred_teacher_edge_to_the_crop_s_edge():
    """A teacher whose person probability is a soft ramp across a sharp photo edge: refined, its targets
    fall on the photo's edge (as the dense CRF does for evaluation); a confident teacher stays put."""
    pytest.importorskip("pydensecrf")
    from edge_deeplab.train.teachers import refine_targets

    size = 48
    pixels = np.full((1, size, size, 3), 30.0, np.float32)
    pixels[:, :, 24:] = 220.0  # the photo's edge at column 24
    ramp = np.clip((np.arange(size) - 4) / 24.0, 0, 1)  # the teacher's edge: a ramp over columns 4-28
    soft = np.broadcast_to(ramp, (size, size))[None, ..., None].astype(np.float32)
    sharp = np.zeros_like(soft)
    sharp[:, :, 24:] = 1.0
    refined = refine_targets(pixels, np.concatenate([soft, np.clip(sharp, 0.02, 0.98)], axis=-1))

    def first_person_column(probability):
        return int(np.argmax((probability > 0.5).all(axis=0)))

    assert first_person_column(soft[0, ..., 0]) == 17  # unrefined: 7 columns early
    assert first_person_column(refined[0, ..., 0]) == 24  # refined: on the photo's edge
    assert ((refined[0, ..., 1] > 0.5) == (sharp[0, ..., 0] > 0.5)).all()


def test_distill_refine_needs_a_tflite_teacher_and_is_recorded(shared, tmp_path):
    pytest.importorskip("pydensecrf")
    from edge_deeplab.data.synthetic import write_synthetic

    data = tmp_path / "syn"
    write_synthetic(data, n_train=4, n_val=2, size=65, seed=0)
    tiny = [
        "--alpha",
        "0.35",
        "--aspp-channels",
        "16",
        "--decoder-channels",
        "16",
        "--input-size",
        "65",
        "--batch-size",
        "4",
        "--no-progress",
        "--epochs",
        "1",
        "--data",
        str(data),
    ]
    result = CliRunner().invoke(main, ["train", "--output", str(tmp_path / "alone"), "--distill-refine", "crf", *tiny])
    assert result.exit_code != 0 and "--distill-refine" in result.output
    assert len(result.output.strip().splitlines()) == 1 and not (tmp_path / "alone" / "run.json").exists()
    run = tmp_path / "run"
    result = CliRunner().invoke(
        main,
        ["train", "--output", str(run), "--distill-from", "peer:mediapipe-selfie", "--distill-refine", "crf", *tiny],
    )
    assert result.exit_code == 0, result.output
    assert "refined by a dense CRF" in result.output
    assert json.loads((run / "run.json").read_text())["train"]["distill_refine"] == "crf"


def test_label_weight_zero_learns_from_the_teacher_alone(tmp_path):
    """label_weight 0: labels that contradict the teacher do not move the student (the teacher is the
    student's own starting model, so the loss starts at zero and stays there); without a teacher it is
    refused before any run folder is written."""
    from edge_deeplab.data.synthetic import write_synthetic

    data = tmp_path / "syn"
    write_synthetic(data, n_train=4, n_val=2, size=65, seed=0)
    tiny = [
        "--alpha",
        "0.35",
        "--aspp-channels",
        "16",
        "--decoder-channels",
        "16",
        "--input-size",
        "65",
        "--batch-size",
        "4",
        "--no-progress",
        "--data",
        str(data),
    ]
    result = CliRunner().invoke(main, ["train", "--output", str(tmp_path / "base"), "--epochs", "1", *tiny])
    assert result.exit_code == 0, result.output
    from edge_deeplab.train import TrainConfig
    from edge_deeplab.train.loop import train
    from edge_deeplab.train.spec import TrainSpec

    base = tmp_path / "base" / "best"
    with pytest.raises(EdgeDeeplabError, match="label_weight 0"):
        train(
            TrainSpec(str(data), train_config=TrainConfig(epochs=1, batch_size=4, label_weight=0.0), init_from=base),
            tmp_path / "alone",
            progress=False,
            log=lambda _: None,
        )
    assert not (tmp_path / "alone" / "run.json").exists()
    config = TrainConfig(
        epochs=1, batch_size=4, label_weight=0.0, augment=False, fine_tune_batch_norm=False, learning_rate=0.01
    )
    train(
        TrainSpec(str(data), train_config=config, init_from=base, teacher=str(base)),
        tmp_path / "self",
        progress=False,
        log=lambda _: None,
    )
    history = json.loads((tmp_path / "self" / "history.json").read_text())["epochs"]
    assert history[0]["train_loss"] < 1e-3, history  # with the labels it would be the cross-entropy, ~0.3+
