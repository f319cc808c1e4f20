"""The host benchmark with LiteRT on the peer models in ../shared/peers (small and fast)."""

import cv2
import numpy as np
import pytest

from edge_deeplab.bench import e2e, frames
from edge_deeplab.bench import host
from edge_deeplab.bench.stats import latency_stats
from edge_deeplab.contract import ModelContract
from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.litert import flatbuffer
from edge_deeplab.litert.interpreter import open_interpreter

DEEPLAB_NORMALISATION = {"mean": (127.5,) * 3, "std": (127.5,) * 3, "person_class": 15}
MEDIAPIPE_NORMALISATION = {"mean": (0.0,) * 3, "std": (255.0,) * 3}


@pytest.fixture
def deeplab(shared):
    return shared / "peers" / "deeplabv3-mnv2-dm05-voc"


@pytest.fixture
def selfie(shared):
    return shared / "peers" / "mediapipe-selfie" / "selfie_segmentation.tflite"


def test_latency_stats():
    stats = latency_stats([4.0, 1.0, 3.0, 2.0, 100.0])
    assert (stats.runs, stats.min_ms, stats.median_ms, stats.mean_ms) == (5, 1.0, 3.0, 22.0)
    # Linear interpolation between order statistics: sorted [1, 2, 3, 4, 100], p90 at rank 3.6.
    assert stats.p90_ms == pytest.approx(61.6) and stats.p99_ms == pytest.approx(96.16)
    assert stats.fps == pytest.approx(1000 / 3.0)
    with pytest.raises(ValueError):
        latency_stats([])


def test_e2e_pipeline_reproduces_googles_golden_mask(deeplab):
    """Decode, resize, normalise, invoke and argmax must give Google's own test vector for its model."""
    model = deeplab / "deeplabv3_257.tflite"
    interpreter = open_interpreter(model, 1)
    prep = e2e.preprocessing_for(
        model, [1, 257, 257, 3], [1, 257, 257, 21], mean=DEEPLAB_NORMALISATION["mean"], std=DEEPLAB_NORMALISATION["std"]
    )
    assert prep.output_kind == "logits" and prep.person_class is None
    timings = {}
    labels = e2e.e2e_frame((deeplab / "golden_input.jpg").read_bytes(), interpreter, prep, timings)
    golden = cv2.imread(str(deeplab / "golden_mask_x10.png"), cv2.IMREAD_UNCHANGED) // 10
    assert labels.shape == golden.shape
    assert np.mean(labels == golden) >= 0.99
    assert set(timings) == {"decode", "preprocess", "invoke", "postprocess", "total"}
    assert timings["total"][0] >= timings["invoke"][0] > 0


def test_person_mask_is_at_the_frame_size(deeplab):
    model = deeplab / "deeplabv3_257.tflite"
    interpreter = open_interpreter(model, 1)
    prep = e2e.preprocessing_for(model, [1, 257, 257, 3], [1, 257, 257, 21], **DEEPLAB_NORMALISATION)
    mask = e2e.e2e_frame(frames.synthetic_jpeg(640, 480), interpreter, prep, {})
    assert mask.shape == (480, 640) and set(np.unique(mask)) <= {0, 1}


def test_host_benchmark_rows(selfie):
    config = host.HostBenchConfig(runs=3, warmup=1, threads=(1, 2), without_xnnpack=True, gpu_runs=1)
    report = host.benchmark_on_host([selfie], config, {str(selfie): MEDIAPIPE_NORMALISATION}, progress=False)
    model = report["models"][0]
    assert model["input"] == {"shape": [1, 256, 256, 3], "dtype": "float32"}
    assert model["preprocessing"]["output_kind"] == "person_alpha"
    assert model["preprocessing"]["source"] == "given on the command line"
    rows = {(r["backend"], r.get("variant"), r["mode"]): r for r in model["results"]}
    for threads in ("1 thread", "2 threads"):
        assert rows[("cpu", f"xnnpack, {threads}", "model")]["stats"]["runs"] == 3
        e2e = rows[("cpu", f"xnnpack, {threads}", "e2e")]
        assert e2e["status"] == "ok"
        assert set(e2e["stages_median_ms"]) == {"decode", "preprocess", "invoke", "postprocess"}
        # MediaPipe's custom op exists only in LiteRT's default resolver: said, not hidden.
        reference = rows[("cpu", f"reference kernels, {threads}", "model")]
        assert reference["status"] == "skipped" and "Convolution2DTransposeBias" in reference["reason"]
    gpu = rows[("gpu", "LiteRT GPU accelerator", "model")]
    assert "not a phone number" in gpu["note"]
    if gpu["status"] == "ok":  # a Vulkan driver is installed: numbers come with a CPU comparison
        assert gpu["stats"]["runs"] == 1 and "max_abs_diff_vs_cpu" in gpu
    else:
        assert gpu["status"] in ("skipped", "not-fully-accelerated", "failed") and gpu["reason"]


def test_without_contract_or_normalisation_e2e_is_skipped_with_the_fix(selfie):
    config = host.HostBenchConfig(runs=1, warmup=0, threads=(1,), gpu=False)
    report = host.benchmark_on_host([selfie], config, progress=False)
    e2e = [r for r in report["models"][0]["results"] if r["mode"] == "e2e"]
    assert e2e[0]["status"] == "skipped" and "--mean and --std" in e2e[0]["reason"]


def test_contract_in_the_model_wins(selfie, monkeypatch):
    contract = ModelContract(
        labels=("background", "person"),
        input_height=256,
        input_width=256,
        mean=(0, 0, 0),
        std=(255, 255, 255),
        output_kind="person_alpha",
        person_class=1,
    )
    monkeypatch.setattr(flatbuffer, "read_tflite_contract", lambda path: contract)
    prep = e2e.preprocessing_for(selfie, [1, 256, 256, 3], [1, 256, 256, 1], mean=(1, 2, 3), std=(4, 5, 6))
    assert prep.source == "contract in the model" and prep.std == (255.0, 255.0, 255.0) and prep.person_class == 1


def test_bad_inputs_name_the_fix(tmp_path):
    not_a_model = tmp_path / "model.tflite"
    not_a_model.write_bytes(b"not a flatbuffer")
    with pytest.raises(EdgeDeeplabError, match="LiteRT cannot load this model"):
        host.benchmark_on_host([not_a_model], host.HostBenchConfig(runs=1, gpu=False), progress=False)
    with pytest.raises(EdgeDeeplabError, match="model file not found"):
        host.benchmark_on_host([tmp_path / "missing.tflite"], progress=False)
    with pytest.raises(EdgeDeeplabError, match="not an image"):
        frames.load_jpeg(not_a_model)
    with pytest.raises(EdgeDeeplabError, match="--threads"):
        host.HostBenchConfig(threads=(0,))
