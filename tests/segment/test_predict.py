"""`edge-deeplab predict` and `edge_deeplab.predict`: one photo in, a mask (and portrait mode) out."""

import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

import edge_deeplab
from edge_deeplab.cli import main
from edge_deeplab.errors import EdgeDeeplabError


def _photo(path, size=(48, 64), seed=0):
    """A photo on disk: a bright figure on a noisy background."""
    rng = np.random.default_rng(seed)
    rgb = rng.integers(0, 120, (*size, 3), dtype=np.uint8)
    rgb[size[0] // 4 :, size[1] // 3 : 2 * size[1] // 3] = (220, 180, 150)
    Image.fromarray(rgb).save(path)
    return path


@pytest.fixture(scope="module")
def keras_folder(tmp_path_factory):
    """A tiny DeepLab v3+ saved by edge-deeplab (model.json + weights.h5), random weights, 3 classes."""
    from edge_deeplab.contract import ModelContract
    from edge_deeplab.model import DeepLabConfig, build_deeplab, save_model

    config = DeepLabConfig(
        num_classes=3, input_size=(33, 33), depth_multiplier=0.35, aspp_channels=8, decoder_channels=8
    )
    contract = ModelContract(labels=("background", "person", "cat"), input_height=33, input_width=33, person_class=1)
    return save_model(build_deeplab(config), config, contract, tmp_path_factory.mktemp("tiny") / "model")


def test_cli_writes_a_mask_a_probability_and_a_portrait_per_photo(tmp_path):
    photos = [_photo(tmp_path / "a.jpg"), _photo(tmp_path / "b.png", size=(40, 30), seed=1)]
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        [
            "predict",
            "preset:person",
            *map(str, photos),
            "--output",
            str(out),
            "--probability",
            "--portrait",
            "--no-progress",
        ],
    )
    assert result.exit_code == 0, result.output
    for photo in photos:
        size = Image.open(photo).size
        mask = np.asarray(Image.open(out / f"{photo.stem}.mask.png"))
        person = Image.open(out / f"{photo.stem}.person.png")
        portrait = Image.open(out / f"{photo.stem}.portrait.jpg")
        assert mask.shape == size[::-1] and set(np.unique(mask)) <= {0, 1}
        assert person.mode == "L" and person.size == size and portrait.size == size and portrait.mode == "RGB"
        # The files hold what the Python API returns.
        segmentation = edge_deeplab.predict("preset:person", photo)
        assert np.array_equal(mask, segmentation.labels)
        expected = np.round(segmentation.person_probability * 255)
        assert np.abs(np.asarray(person).astype(int) - expected).max() <= 1
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"{p.stem}.{kind}" for p in photos for kind in ("mask.png", "person.png", "portrait.jpg")
    )


def test_a_saved_keras_folder_gives_class_ids_and_refuses_nothing_it_can_do(keras_folder, tmp_path):
    photo = _photo(tmp_path / "photo.jpg")
    segmentation = edge_deeplab.predict(str(keras_folder), photo)
    assert segmentation.labels.shape == (48, 64) and segmentation.labels.max() <= 2
    assert segmentation.class_names == ("background", "person", "cat")
    assert np.allclose(segmentation.probabilities.sum(axis=-1), 1.0, atol=1e-4)
    result = CliRunner().invoke(
        main, ["predict", str(keras_folder), str(photo), "--output", str(tmp_path / "out"), "--no-progress"]
    )
    assert result.exit_code == 0, result.output
    assert np.array_equal(np.asarray(Image.open(tmp_path / "out" / "photo.mask.png")), segmentation.labels)


@pytest.mark.parametrize(
    "case",
    ["missing photo", "corrupt photo", "not a model", "broken tflite", "no such preset", "same names", "photo first"],
)
def test_bad_input_is_one_line_and_writes_nothing(case, tmp_path):
    good = _photo(tmp_path / "good.jpg")
    model, photos, named = "preset:person", [good], None
    if case == "missing photo":
        photos, named = [good, tmp_path / "nowhere.jpg"], "nowhere.jpg"
    elif case == "corrupt photo":
        corrupt = tmp_path / "corrupt.jpg"
        corrupt.write_bytes(good.read_bytes()[:200])  # a truncated JPEG
        photos, named = [good, corrupt], "corrupt.jpg"
    elif case == "not a model":
        model = tmp_path / "notes.txt"
        model.write_text("not a model")
        named = "notes.txt"
    elif case == "broken tflite":
        model = tmp_path / "model.tflite"
        model.write_bytes(b"not a flatbuffer")
        named = "model.tflite"
    elif case == "no such preset":
        model, named = "preset:nobody", "preset:nobody"
    elif case == "same names":
        (tmp_path / "other").mkdir()
        photos, named = [good, _photo(tmp_path / "other" / "good.png")], "good.mask.png"
    elif case == "photo first":
        model, named = good, "the model comes first"
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["predict", str(model), *map(str, photos), "--output", str(out), "--portrait"])
    assert result.exit_code == 1, result.output
    assert len(result.output.strip().splitlines()) == 1 and named in result.output and "Traceback" not in result.output
    assert not out.exists() or not any(out.iterdir())  # nothing half-done


def test_portrait_needs_a_person_class_and_a_positive_blur(tmp_path):
    photo = _photo(tmp_path / "photo.jpg")
    result = CliRunner().invoke(
        main, ["predict", "preset:person", str(photo), "--output", str(tmp_path / "out"), "--portrait", "--blur", "0"]
    )
    assert result.exit_code == 1 and "--blur 0" in result.output and not (tmp_path / "out").exists()
    with pytest.raises(EdgeDeeplabError, match="no person class"):
        edge_deeplab.blur_background(np.zeros((4, 4, 3), np.uint8), None)


def test_blur_background_keeps_the_person_sharp_and_blurs_the_rest():
    rgb = np.random.default_rng(0).integers(0, 256, (40, 40, 3), dtype=np.uint8)
    person = np.zeros((40, 40), np.float32)
    person[:, :20] = 1.0
    composite = edge_deeplab.blur_background(rgb, person, blur=0.1)
    assert np.array_equal(composite[:, :20], rgb[:, :20])
    # Blurring noise pulls it towards its mean: much less spread than the sharp photo.
    assert composite[:, 25:].std() < 0.5 * rgb[:, 25:].std()


def test_importing_the_api_loads_no_tensorflow():
    script = (
        "import sys, edge_deeplab\nedge_deeplab.predict, edge_deeplab.blur_background\n"
        "print('tensorflow' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd="/", capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.split() == ["False"], done.stderr[-2000:]


def test_preset_person_segments_real_photos(shared):
    """preset:person on ccp-person val photos, scored against their masks (the README's one-line example)."""
    from edge_deeplab.data.dataset import read_mask_file

    root = shared / "data" / "ccp-person"
    if not root.is_dir():
        pytest.skip("../shared/data/ccp-person is missing")
    ious = []
    model = edge_deeplab.open_model("preset:person")  # opened once for every photo
    for image_id in (root / "val.txt").read_text().split()[:5]:
        truth = read_mask_file(root / "masks" / f"{image_id}.png")
        predicted = edge_deeplab.predict(model, root / "images" / f"{image_id}.jpg").labels
        valid = truth != 255
        person, truth_person = (predicted == 1) & valid, (truth == 1) & valid
        ious.append((person & truth_person).sum() / max(1, (person | truth_person).sum()))
    assert np.mean(ious) >= 0.75, ious


def test_refine_crf_for_still_photos_and_crf_options_need_it(tmp_path):
    """predict --refine crf runs the dense CRF over the photo (the still-photo portrait mode it is meant
    for); the Python API gives the same mask; a --crf-* option without --refine crf is refused."""
    pytest.importorskip(
        "pydensecrf.densecrf", reason="the crf extra (pip install 'edge-deeplab[crf]') is not installed"
    )
    photo = _photo(tmp_path / "a.jpg", size=(64, 48))
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        [
            "predict",
            "preset:person",
            str(photo),
            "--output",
            str(out),
            "--refine",
            "crf",
            "--crf-iterations",
            "3",
            "--no-progress",
        ],
    )
    assert result.exit_code == 0, result.output
    from edge_deeplab.refine import CRFConfig

    refined = edge_deeplab.predict("preset:person", photo, refine="crf", crf=CRFConfig(iterations=3))
    plain = edge_deeplab.predict("preset:person", photo)
    assert np.array_equal(np.asarray(Image.open(out / "a.mask.png")), refined.labels)
    assert not np.allclose(refined.person_probability, plain.person_probability)
    result = CliRunner().invoke(
        main, ["predict", "preset:person", str(photo), "--output", str(tmp_path / "o2"), "--crf-iterations", "3"]
    )
    assert result.exit_code != 0 and "has no effect without --refine crf" in result.output
    assert not (tmp_path / "o2").exists()
