"""Standard TFLite metadata in every export, proven with clients nobody here wrote:

- MediaPipe Tasks' ImageSegmenter (its own venv, .venv-mediapipe, made by scripts/mediapipe_venv.sh) loads
  our int8 and fp16 exports, reads the labels file packed in them, and segments the golden photo into the
  same category mask as our LiteRT runner (>= 99 % of the pixels), with confidence masks that sum to 1;
- the metadata reads back through MediaPipe's generated reader of the schema, and through our hand-written
  one (edge_deeplab/litert/metadata_schema.py);
- our reader reads Google's DeepLab v3 file (standard metadata written by Google's tools).
"""

import json
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from edge_deeplab.converters.export import export
from edge_deeplab.litert.interpreter import run_images
from edge_deeplab.contract import ModelContract
from edge_deeplab.litert.metadata import LABELS_FILE, read_standard_metadata, standard_metadata
from edge_deeplab.litert.metadata_schema import read_metadata
from edge_deeplab.litert.flatbuffer import read_tflite_contract
from edge_deeplab.model import DeepLabConfig
from edge_deeplab.train import TrainConfig, TrainSpec, train

REPO = Path(__file__).resolve().parents[2]
SIZE = 129
CONFIG = DeepLabConfig(
    input_size=(SIZE, SIZE), depth_multiplier=0.35, aspp_channels=16, decoder_channels=16, low_level_channels=8
)
GOLDEN = "peers/deeplabv3-mnv2-dm05-voc/golden_input.jpg"


@pytest.fixture(scope="module")
def exported(tmp_path_factory, shared):
    """A tiny person model trained (overfitted) on the golden photo and Google's person mask for it, exported
    as fp32, fp16, int8 (float I/O) and int8 with uint8 I/O.

    A tiny model trained briefly on synthetic portraits finds no person in a real photo (all-background
    masks, on which any two runners agree), and shifting its person bias until one appears only makes
    near-ties everywhere (int8 then flips 12 % of the pixels between LiteRT's own XNNPACK and builtin
    kernels). Overfitting the photo gives a real person shape with real logit margins."""
    root = tmp_path_factory.mktemp("standard_metadata")
    data = _golden_dataset(shared, root / "golden")
    quick = TrainConfig(epochs=8, batch_size=4, optimizer="adamw", learning_rate=0.01, warmup_epochs=0)
    train(TrainSpec(data, CONFIG, quick), root / "float", progress=False, log=lambda line: None)
    results = export(
        root / "float" / "last",
        root / "tflite",
        ["fp32", "fp16", "int8"],
        data=data,
        num_calibration=8,
        gpu_check=False,
        log=lambda line: None,
    )
    paths = {r.format: Path(r.path) for r in results}
    (uint8,) = export(
        root / "float" / "last",
        root / "tflite",
        ["int8"],
        io_type="uint8",
        data=data,
        num_calibration=8,
        gpu_check=False,
        log=lambda line: None,
    )
    paths["int8-uint8io"] = Path(uint8.path)
    return paths


@pytest.mark.parametrize("fmt", ["fp32", "fp16", "int8", "int8-uint8io"])
def test_every_export_carries_standard_metadata_and_the_contract(exported, fmt):
    metadata = read_standard_metadata(exported[fmt])
    assert metadata["name"] == exported[fmt].stem
    assert metadata["author"] and metadata["license"] == "Apache-2.0" and metadata["version"]
    assert "background, person" in metadata["description"] and "127.5" in metadata["description"]
    assert metadata["min_parser_version"] == "1.0.0"
    (image,), (masks,) = metadata["inputs"], metadata["outputs"]
    assert image["color_space"] == "RGB" and image["mean"] == [127.5] and image["std"] == [127.5]
    # Float input: the normalised range of 0..255; uint8 input: raw pixels (normalisation in the quantization).
    assert (image["min"], image["max"]) == (([0.0], [255.0]) if fmt == "int8-uint8io" else ([-1.0], [1.0]))
    assert masks["color_space"] == "GRAYSCALE" and masks["range"] == [1, 2]
    assert masks["associated_files"] == [{"name": LABELS_FILE, "type": "TENSOR_AXIS_LABELS"}]
    assert metadata["files"] == {LABELS_FILE: b"background\nperson"}
    # Our own contract buffer is still there, and the model still runs.
    assert read_tflite_contract(exported[fmt]).labels == ("background", "person")
    assert run_images(exported[fmt], np.zeros((1, SIZE, SIZE, 3), np.float32)).shape == (1, SIZE, SIZE, 2)


@pytest.mark.parametrize("output_kind", ["logits", "label_map", "person_alpha"])
@pytest.mark.parametrize("input_type", [0, 3, 9])  # float32, uint8, int8
def test_standard_metadata_round_trips_through_our_reader(output_kind, input_type):
    contract = ModelContract(
        ("background", "person"),
        SIZE,
        SIZE,
        mean=(123.7, 116.3, 103.5),
        std=(58.4, 57.1, 57.4),
        output_kind=output_kind,
        person_class=1,
    )
    raw = standard_metadata(contract, input_type, name="m", version="1.2")
    assert raw[4:8] == b"M001"
    metadata = read_metadata(raw)
    assert (metadata["name"], metadata["version"], metadata["min_parser_version"]) == ("m", "1.2", "1.0.0")
    (image,), (masks,) = metadata["inputs"], metadata["outputs"]
    assert image["mean"] == pytest.approx([123.7, 116.3, 103.5]) and image["std"] == pytest.approx([58.4, 57.1, 57.4])
    expected_min = {0: pytest.approx([-123.7 / 58.4, -116.3 / 57.1, -103.5 / 57.4]), 3: [0.0], 9: None}
    assert image["min"] == expected_min[input_type] and image["associated_files"] == []
    assert masks["range"] == [1, 2] and masks["color_space"] == "GRAYSCALE" and masks["min"] is None
    kind = "TENSOR_VALUE_LABELS" if output_kind == "label_map" else "TENSOR_AXIS_LABELS"
    assert masks["associated_files"] == [{"name": LABELS_FILE, "type": kind}]


def test_google_deeplab_metadata_reads_back_through_our_reader(shared):
    metadata = read_standard_metadata(shared / "peers/deeplabv3-mnv2-dm05-voc/deeplabv3_257.tflite")
    assert metadata["name"] == "DeepLabV3"
    (image,), (masks,) = metadata["inputs"], metadata["outputs"]
    assert image["mean"] == [127.5] and image["std"] == [127.5] and image["color_space"] == "RGB"
    assert masks["color_space"] == "GRAYSCALE"
    assert masks["associated_files"] == [{"name": "labelmap.txt", "type": "TENSOR_AXIS_LABELS"}]
    labels = metadata["files"]["labelmap.txt"].decode().splitlines()
    assert len(labels) == 21 and labels[0] == "background" and labels[15] == "person"


@pytest.fixture(scope="module")
def mediapipe_python():
    """.venv-mediapipe's python, made (once) by scripts/mediapipe_venv.sh from the pinned requirement."""
    started = time.perf_counter()
    made = subprocess.run(
        ["bash", str(REPO / "scripts" / "mediapipe_venv.sh")], capture_output=True, text=True, timeout=900
    )
    if made.returncode != 0:
        reason = (made.stderr.strip().splitlines() or ["no output"])[-1]
        if made.returncode == 3:
            pytest.skip(f"MediaPipe Tasks could not be installed from PyPI: {reason}")
        pytest.fail(f"scripts/mediapipe_venv.sh failed ({made.returncode}): {made.stderr[-2000:]}")
    print(f"mediapipe venv ready in {time.perf_counter() - started:.1f} s")
    return made.stdout.strip().splitlines()[-1]


def _golden_dataset(shared, root):
    """images/ + masks/ of the golden photo at the model's size (8 copies and 8 mirrored), person = 1."""
    import cv2

    rgb = _golden_rgb(shared)
    mask = cv2.imread(str(shared / GOLDEN.replace("golden_input.jpg", "golden_mask_x10.png")), cv2.IMREAD_GRAYSCALE)
    person = (cv2.resize(mask, (SIZE, SIZE), interpolation=cv2.INTER_NEAREST) == 150).astype(np.uint8)
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    ids = []
    for i in range(16):
        flip = (lambda a: a[:, ::-1]) if i % 2 else (lambda a: a)
        ids.append(f"golden{i:02d}")
        cv2.imwrite(
            str(root / "images" / f"{ids[-1]}.png"), cv2.cvtColor(np.ascontiguousarray(flip(rgb)), cv2.COLOR_RGB2BGR)
        )
        cv2.imwrite(str(root / "masks" / f"{ids[-1]}.png"), np.ascontiguousarray(flip(person)))
    (root / "train.txt").write_text("\n".join(ids) + "\n")
    (root / "val.txt").write_text("\n".join(ids[:2]) + "\n")
    return root


def _golden_rgb(shared):
    import cv2

    bgr = cv2.imread(str(shared / GOLDEN))
    return cv2.cvtColor(cv2.resize(bgr, (SIZE, SIZE), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB)


@pytest.mark.parametrize("fmt", ["int8", "fp16", "int8-uint8io"])
def test_mediapipe_image_segmenter_matches_our_runner(exported, mediapipe_python, shared, tmp_path, fmt):
    rgb = _golden_rgb(shared)  # the model's own size, so neither client resamples
    np.save(tmp_path / "image.npy", rgb)
    child = subprocess.run(
        [
            mediapipe_python,
            str(Path(__file__).with_name("mediapipe_segment.py")),
            str(exported[fmt]),
            str(tmp_path / "image.npy"),
            str(tmp_path / "mask.npy"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert child.returncode == 0, f"MediaPipe refused {exported[fmt].name}:\n{child.stderr[-3000:]}"
    report = json.loads(child.stdout.strip().splitlines()[-1])
    assert report["segmenter_labels"] == ["background", "person"]  # read from the packed labels file
    assert report["name"] == exported[fmt].stem and report["min_parser_version"] == "1.0.0"
    assert report["mean"] == [127.5] and report["std"] == [127.5]
    assert report["output_file"] == LABELS_FILE and report["packed"] == {LABELS_FILE: "background\nperson"}
    # The default export outputs probabilities: MediaPipe's confidence masks sum to 1 (logits gave 18-35).
    low, high = report["confidence_sum"]
    assert 0.99 <= low <= high <= 1.01, report["confidence_sum"]

    theirs = np.load(tmp_path / "mask.npy").reshape(SIZE, SIZE)
    contract = read_tflite_contract(exported[fmt])
    ours = run_images(exported[fmt], contract.normalize(rgb)[None])[0].argmax(-1)
    person = float(np.mean(ours == 1))
    agreement = float(np.mean(theirs == ours))
    print(
        f"{fmt}: MediaPipe ImageSegmenter vs our LiteRT runner: {agreement:.4%} of {ours.size} pixels agree "
        f"(person {person:.1%} of the pixels in ours, {np.mean(theirs == 1):.1%} in MediaPipe's)"
    )
    assert 0.05 < person < 0.95, f"degenerate mask ({person:.1%} person): the agreement would mean nothing"
    assert agreement >= 0.99
