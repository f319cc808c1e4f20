"""Importing Google's TF-DeepLab v3 .tflite into our builder: parity, person slicing, refusals, v3+ init."""

import dataclasses

import numpy as np
import pytest
from click.testing import CliRunner

from edge_deeplab.cli import main
from edge_deeplab.errors import EdgeDeeplabError

PEER = "peers/deeplabv3-mnv2-dm05-voc"
PERSON = 15


@pytest.fixture(scope="module")
def golden(shared):
    """(rgb, Google's golden label map, the .tflite's own logits) for the golden input."""
    import cv2

    from edge_deeplab.contract import ModelContract
    from edge_deeplab.litert.tensors import run_tflite

    folder = shared / PEER
    rgb = cv2.cvtColor(cv2.imread(str(folder / "golden_input.jpg")), cv2.COLOR_BGR2RGB)
    mask = cv2.imread(str(folder / "golden_mask_x10.png"), cv2.IMREAD_UNCHANGED) // 10
    normalised = ModelContract(labels=("a", "b"), input_height=257, input_width=257).normalize(rgb)[np.newaxis]
    return rgb, mask, run_tflite(folder / "deeplabv3_257.tflite", normalised)[0]


@pytest.fixture(scope="module")
def imported(shared):
    from edge_deeplab.model.import_tflite import import_tflite

    return import_tflite(shared / PEER / "deeplabv3_257.tflite")


def _logits(model, contract, rgb):
    return np.asarray(model(contract.normalize(rgb)[np.newaxis], training=False))[0]


def test_imported_model_reproduces_the_tflite_logits_and_googles_golden_mask(imported, golden):
    from edge_deeplab.evaluate import inference, runners

    model, config, contract, report = imported
    rgb, golden_mask, tflite_logits = golden
    # The structure read from the file: Google's mobile DeepLab v3 as TF-DeepLab exports it.
    assert (config.depth_multiplier, config.divisible_by, config.output_stride) == (0.5, 1, 8)
    assert (config.atrous_rates, config.use_decoder, config.align_corners, config.num_classes) == ((), False, True, 21)
    assert contract.labels[PERSON] == "person" and contract.mean == contract.std == (127.5,) * 3
    ours = _logits(model, contract, rgb)
    agreement = float(np.mean(ours.argmax(-1) == tflite_logits.argmax(-1)))
    print(
        f"\nKeras vs TFLite on the golden input: max abs logit diff {np.abs(ours - tflite_logits).max():.3g}, "
        f"argmax agreement {agreement:.5%}"
    )
    assert agreement >= 0.999
    # Google's golden mask, checked as tests/evaluate checks the peer itself.
    predicted = np.argmax(inference.predict_probabilities(runners.KerasRunner(model, contract), rgb), axis=-1)
    assert PERSON in np.unique(golden_mask)
    assert float(np.mean(predicted == golden_mask)) >= 0.999


def test_background_and_person_merge_every_other_class_into_background(shared, golden, tmp_path):
    """--classes background,person keeps all 21 rows and merges the 20 non-person ones: the person
    probability is the full softmax's, so the horse on Google's golden photo stays background (keeping
    rows 0 and 15 only made 17,851 of its 18,884 pixels person)."""
    from edge_deeplab.model import load_model

    rgb, golden_mask, tflite_logits = golden
    output = tmp_path / "person"
    result = CliRunner().invoke(
        main,
        ["model", "import", str(shared / PEER / "deeplabv3_257.tflite"), str(output), "--classes", "background,person"],
    )
    assert result.exit_code == 0, result.output
    assert "person=row 15, background=the other 20 rows merged" in result.output
    model, contract = load_model(output)
    assert contract.labels == ("background", "person") and contract.person_class == 1
    logits = _logits(model, contract, rgb)
    # The two outputs are log-probabilities: person's softmax is the .tflite's 21-class softmax of row 15,
    # up to the upsampling (ours merges at output stride, before the bilinear resize; the .tflite after it).
    ours = np.exp(logits[..., 1] - np.logaddexp(logits[..., 0], logits[..., 1]))
    full = np.exp(tflite_logits - tflite_logits.max(-1, keepdims=True))
    full = full[..., PERSON] / full.sum(-1)
    assert np.abs(ours - full).mean() < 2e-3 and np.mean((ours > 0.5) == (full > 0.5)) > 0.995
    person = logits.argmax(-1) == 1
    horse = golden_mask == 13
    assert horse.sum() > 10000 and person[horse].mean() < 0.01
    assert float(np.mean(person == (golden_mask == PERSON))) >= 0.99


def test_a_labels_config_keeps_the_named_logit_rows(shared, golden):
    """A labels config names one source row per class: those rows are kept as they are (no merge)."""
    from edge_deeplab.model.import_tflite import import_tflite

    rgb, _, tflite_logits = golden
    model, config, contract, report = import_tflite(shared / PEER / "deeplabv3_257.tflite", labels="voc-person")
    assert report.labels == ("background", "person") and report.logit_rows == (0, PERSON)
    assert config.source_classes is None
    person = _logits(model, contract, rgb).argmax(-1) == 1
    two_rows = tflite_logits[..., [0, PERSON]].argmax(-1) == 1
    assert float(np.mean(person == two_rows)) >= 0.999 and person.any()


def _graph(shared):
    from edge_deeplab.litert.tensors import read_tflite

    return read_tflite(shared / PEER / "deeplabv3_257.tflite")


def test_models_that_do_not_match_are_refused_with_one_line(shared, tmp_path):
    from edge_deeplab.model.import_tflite import import_graph, import_tflite

    not_a_model = tmp_path / "notes.tflite"
    not_a_model.write_text("not a flatbuffer")
    cases = [
        (shared / "peers/mediapipe-selfie/selfie_segmentation.tflite", "is not a TF-DeepLab MobileNet-v2 model"),
        (shared / PEER / "golden_input.jpg", "is not a TFLite model"),
        (not_a_model, "is not a TFLite model"),
    ]
    for path, reason in cases:
        with pytest.raises(EdgeDeeplabError, match=reason) as error:
            import_tflite(path)
        assert "\n" not in str(error.value)
    with pytest.raises(EdgeDeeplabError, match="class 'human' is not one of the model's classes"):
        import_tflite(shared / PEER / "deeplabv3_257.tflite", classes=("background", "human"))

    # Another width in one block: the shape check names the tensor.
    graph = _graph(shared)
    name = "MobilenetV2/expanded_conv_5/expand/weights"
    graph.constants[name] = graph.constants[name][:80]
    graph.shapes[name] = graph.constants[name].shape
    with pytest.raises(EdgeDeeplabError, match="expanded_conv_5/expand does not match our block_5_expand"):
        import_graph(graph)
    # Another head: a v3+ decoder convolution.
    graph = _graph(shared)
    conv = next(op for op in graph.ops if op.inputs[1:2] == ("aspp0/weights",))
    graph.ops.append(dataclasses.replace(conv, inputs=(conv.inputs[0], "decoder/feature_projection0/weights")))
    graph.constants["decoder/feature_projection0/weights"] = graph.constants["aspp0/weights"]
    graph.dtypes["decoder/feature_projection0/weights"] = "float32"
    with pytest.raises(EdgeDeeplabError, match="has a v3\\+ decoder"):
        import_graph(graph)

    result = CliRunner().invoke(main, ["model", "import", str(not_a_model), str(tmp_path / "out")])
    assert result.exit_code == 1 and result.output.count("\n") == 1 and "Error:" in result.output
    assert not (tmp_path / "out").exists()


def test_a_v3_plus_starts_from_the_import_with_its_aspp_and_a_new_decoder(imported, tmp_path):
    import tf_keras

    from edge_deeplab.model import build_deeplab, save_model
    from edge_deeplab.model.saving import load_matching_weights

    model, config, contract, _ = imported
    save_model(model, config, contract, tmp_path / "voc")
    plus = build_deeplab(config.replace(use_decoder=True))
    report = load_matching_weights(plus, tmp_path / "voc")
    print(f"\n{report}")
    names = {layer.name for layer in plus.layers}
    assert not any(name.startswith(("aspp1", "aspp2")) for name in names)  # the import's ASPP, no atrous branch
    assert set(report.new) == {
        layer.name for layer in plus.layers if layer.weights and layer.name.startswith("decoder")
    }
    assert not report.mismatched and not report.unused
    assert len(report.matched) == len([layer for layer in model.layers if layer.weights])
    for name in report.matched:
        for ours, theirs in zip(plus.get_layer(name).get_weights(), model.get_layer(name).get_weights()):
            np.testing.assert_array_equal(ours, theirs)
    # The decoder is fresh: Keras' initial batch norm, nothing copied.
    np.testing.assert_array_equal(plus.get_layer("decoder_conv0_pointwise_BN").moving_mean.numpy(), 0.0)
    assert isinstance(plus.get_layer("aspp_projection"), tf_keras.layers.Conv2D)

    # Other classes: the logits start fresh too, and the report says so.
    two = build_deeplab(config.replace(use_decoder=True, num_classes=2))
    report = load_matching_weights(two, tmp_path / "voc")
    assert [name for name, _, _ in report.mismatched] == ["logits"] and "logits" not in report.matched
