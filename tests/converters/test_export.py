"""Export of a (briefly trained) DeepLab in every format: loads in LiteRT, runs whole on the GPU
accelerator, matches Keras within each format's stated tolerance; QAT models save and reload exactly."""

import numpy as np
import pytest
import tensorflow as tf
import tf_keras
from click.testing import CliRunner

from edge_deeplab.converters.export import check_combination, export
from edge_deeplab.converters.formats import FORMAT_NAMES, export_format
from edge_deeplab.converters.gpu_gate import check_gpu
from edge_deeplab.model.qat import quantize_deeplab
from edge_deeplab.cli import main
from edge_deeplab.contract import ModelContract
from edge_deeplab.litert.flatbuffer import read_tflite_contract
from edge_deeplab.data.synthetic import write_synthetic
from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.model import DeepLabConfig, build_deeplab, load_model, save_model
from edge_deeplab.model.saving import default_contract
from edge_deeplab.train import TrainConfig, TrainSpec, train

CONFIG = DeepLabConfig(
    input_size=(65, 65), depth_multiplier=0.35, aspp_channels=16, decoder_channels=16, low_level_channels=8
)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny float model and its QAT fine-tune, trained for real on synthetic scenes."""
    root = tmp_path_factory.mktemp("export")
    data = write_synthetic(root / "scenes", n_train=16, n_val=4, size=65, seed=5)
    quick = TrainConfig(epochs=2, batch_size=4, optimizer="adamw", learning_rate=0.005, warmup_epochs=0)
    train(TrainSpec(data, CONFIG, quick), root / "float", progress=False, log=lambda line: None)
    train(
        TrainSpec(
            data, None, quick.replace(epochs=1, learning_rate=0.001), init_from=root / "float" / "last", qat=True
        ),
        root / "qat",
        progress=False,
        log=lambda line: None,
    )
    return root, data


@pytest.fixture(scope="module")
def exported(trained):
    root, data = trained
    results = export(
        root / "float" / "last",
        root / "tflite",
        FORMAT_NAMES,
        qat_model_path=root / "qat" / "last",
        data=data,
        num_calibration=8,
        log=lambda line: None,
    )
    return {result.format: result for result in results}


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_every_format_loads_runs_on_the_gpu_and_matches_keras(exported, fmt):
    from ai_edge_litert.interpreter import Interpreter

    result = exported[fmt]
    interpreter = Interpreter(model_path=result.path)
    interpreter.allocate_tensors()
    assert list(interpreter.get_input_details()[0]["shape"]) == [1, 65, 65, 3]  # batch 1
    assert read_tflite_contract(result.path).labels == ("background", "person")
    assert result.static_gate == "pass", result.gate_summary
    if result.dynamic_gate == "not run":
        pytest.skip(f"no Vulkan device: {result.gate_summary}")
    assert result.dynamic_gate == "pass", result.gate_summary
    assert result.max_probability_diff <= export_format(fmt).tolerance and result.within_tolerance


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_exports_give_probabilities_by_default(exported, fmt):
    """MediaPipe Tasks hands the output to apps as confidence masks: they must sum to 1 per pixel."""
    from edge_deeplab.litert.interpreter import run_images

    result = exported[fmt]
    contract = read_tflite_contract(result.path)
    assert contract.output_kind == "probabilities" and result.path.endswith(f"_{fmt}.tflite")
    images = np.random.default_rng(1).integers(0, 256, (2, 65, 65, 3)).astype(np.uint8)
    probabilities = run_images(result.path, contract.normalize(images))
    assert probabilities.min() >= 0.0 and np.abs(probabilities.sum(axis=-1) - 1.0).max() <= 0.01


def test_integer_formats_are_smaller(exported):
    sizes = {fmt: result.size_bytes for fmt, result in exported.items()}
    assert sizes["fp16"] < sizes["fp32"] and sizes["int8"] < sizes["fp16"] and sizes["qat-int8"] < sizes["fp16"]


@pytest.mark.parametrize("io_type, kind", [("uint8", "person_alpha"), ("int8", "label_map")])
def test_integer_io_and_output_heads(trained, tmp_path, io_type, kind):
    root, data = trained
    (result,) = export(
        root / "float" / "last",
        tmp_path,
        ["int8"],
        io_type=io_type,
        output_kind=kind,
        data=data,
        num_calibration=4,
        log=lambda line: None,
    )
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=result.path)
    assert interpreter.get_input_details()[0]["dtype"] == np.dtype(io_type)
    output = interpreter.get_output_details()[0]
    assert output["dtype"] == (np.int32 if kind == "label_map" else np.dtype(io_type))
    assert list(output["shape"]) == ([1, 65, 65] if kind == "label_map" else [1, 65, 65, 1])
    assert read_tflite_contract(result.path).output_kind == kind
    assert result.static_gate == "pass" and result.dynamic_gate in ("pass", "not run"), result.gate_summary
    assert result.argmax_agreement > 0.9


def test_qat_model_saves_and_reloads_exactly(tmp_path):
    model = quantize_deeplab(build_deeplab(CONFIG))
    images = np.random.default_rng(0).normal(size=(2, 65, 65, 3)).astype(np.float32)
    model(images, training=True)  # move the quantizers' ranges away from their initial values
    folder = save_model(model, CONFIG, default_contract(CONFIG), tmp_path / "qat", extra={"quantization": "qat"})
    reloaded, _ = load_model(folder)
    np.testing.assert_array_equal(reloaded(images, training=False).numpy(), model(images, training=False).numpy())


def _convert(keras_model):
    return tf.lite.TFLiteConverter.from_keras_model(keras_model).convert()


def test_gpu_unfriendly_deeplab_exports_are_caught_by_both_checks(tmp_path):
    # 1. A free batch: every dilated depthwise conv becomes SPACE_TO_BATCH_ND ... BATCH_TO_SPACE_ND.
    free_batch = tmp_path / "free_batch.tflite"
    free_batch.write_bytes(_convert(build_deeplab(CONFIG)))
    # 2. An INT64 argmax head.
    model = build_deeplab(CONFIG, batch_size=1)
    int64_head = tmp_path / "int64_argmax.tflite"
    int64_head.write_bytes(_convert(tf_keras.Model(model.input, _Int64ArgMax()(model.output))))
    for path, op in ((free_batch, "SPACE_TO_BATCH_ND"), (int64_head, "ARG_MAX")):
        report = check_gpu(path)
        assert report.static.status == "fail" and op in {o.op for o in report.static.offenders}, report.summary
        if report.dynamic.status == "not run":
            pytest.skip(f"no Vulkan device: {report.dynamic.summary}")
        assert report.dynamic.status == "fail" and op in report.dynamic.summary + " ".join(
            str(o) for o in report.dynamic.offenders
        ), report.summary


class _Int64ArgMax(tf_keras.layers.Layer):
    def call(self, logits):
        return tf.argmax(logits, axis=-1)  # int64 by default: what a naive export does


def test_combinations_the_gpu_cannot_run_are_refused():
    contract = ModelContract(labels=("background", "person"), input_height=65, input_width=65, person_class=1)
    with pytest.raises(EdgeDeeplabError, match="integer I/O needs a full-integer model"):
        check_combination("fp16", "uint8", "logits", contract)
    with pytest.raises(EdgeDeeplabError, match="person"):
        check_combination(
            "int8", "float", "person_alpha", ModelContract(labels=("sky", "road"), input_height=65, input_width=65)
        )


def test_export_of_a_non_model_stops_with_one_line(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    result = CliRunner().invoke(main, ["export", str(tmp_path / "notes.txt"), "--formats", "fp32"])
    assert result.exit_code != 0 and "not an edge-deeplab model folder" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_the_export_table_says_what_max_diff_measures():
    from edge_deeplab.converters.export import ExportResult, format_table

    result = ExportResult(
        format="int8",
        path="m_int8.tflite",
        size_bytes=3_300_000,
        op_count=85,
        static_gate="pass",
        dynamic_gate="pass",
        gate_summary="",
        max_abs_diff=0.009,
        max_probability_diff=0.009,
        argmax_agreement=0.9993,
        tolerance=0.25,
        within_tolerance=True,
    )
    table = format_table([result], "probabilities")
    assert "|TFLite - Keras| of the output (probabilities)" in table.splitlines()[-1]
    assert "0.009" in table.splitlines()[2]  # header, rule, then the row


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_the_format_table_sets_the_converter(fmt):
    from edge_deeplab.converters.export import make_converter

    model = build_deeplab(
        DeepLabConfig(
            input_size=(33, 33), depth_multiplier=0.35, aspp_channels=8, decoder_channels=8, low_level_channels=8
        ),
        batch_size=1,
    )
    row = export_format(fmt)
    converter = make_converter(model, fmt, "uint8" if row.integer else "float", np.zeros((2, 33, 33, 3), np.float32))
    assert bool(converter.optimizations) == row.optimize == (fmt != "fp32")
    assert converter.target_spec.supported_types == ([tf.float16] if fmt == "fp16" else set())
    assert (tf.lite.OpsSet.TFLITE_BUILTINS_INT8 in converter.target_spec.supported_ops) == row.integer
    assert converter.inference_input_type == (tf.uint8 if row.integer else tf.float32)
