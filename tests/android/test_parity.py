"""Parity: the Android demo's Java post-processing equals Python's on real TFLite outputs.

Python runs each model in LiteRT (ai_edge_litert) on a fixed image and saves the image, the packed
input tensor, the raw output tensor, and edge_deeplab.litert.outputs's person alpha. The Java
ParityTest then reads the contract as contract.json holds it, packs the same image, decodes the same
raw output, and must match: input bytes exactly, alpha to 1e-6. The app reads probabilities (or a
person alpha) and runs no softmax: a logits model runs here with the softmax head export-android
appends (litert/heads.py), as the app gets it; label maps, which the app refuses, are left out.

Models: tiny real converter outputs for every output kind (float, int8 and uint8 I/O), and the two
published peers (Google's DeepLab v3 on its own golden image: 21-class logits; MediaPipe's selfie
model: a person alpha), each with its contract embedded in a copy as an export would carry it.
"""

import numpy as np
import pytest

import tiny_models
from android_tools import run_java_cases

pytestmark = pytest.mark.slow  # converts models and runs LiteRT


def _little_endian(array: np.ndarray) -> bytes:
    return np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<")).tobytes()


def save_case(out_dir, name: str, model_path, contract, rgb: np.ndarray, source: np.ndarray = None):
    """Run the model on `rgb` in LiteRT; save what both sides need; return the case entry (None for a
    label map, which the app refuses)."""
    from ai_edge_litert.interpreter import Interpreter

    from edge_deeplab.litert.heads import with_probabilities

    if contract.output_kind == "label_map":
        return None
    if contract.output_kind == "logits":
        data, contract = with_probabilities(model_path.read_bytes(), contract, str(model_path))
        model_path = model_path.with_name(f"{model_path.stem}.probabilities.tflite")
        model_path.write_bytes(data)

    from edge_deeplab.litert import outputs as postprocess
    from edge_deeplab.evaluate.runners import dequantize, quantize

    interpreter = Interpreter(model_path=str(model_path))
    interpreter.allocate_tensors()
    input_details = interpreter.get_input_details()[0]
    output_details = interpreter.get_output_details()[0]
    packed = quantize(contract.normalize(rgb)[np.newaxis], input_details)
    interpreter.set_tensor(input_details["index"], packed)
    interpreter.invoke()
    raw = interpreter.get_tensor(output_details["index"])
    values = dequantize(raw, output_details)[0]
    labels = postprocess.label_map(values, contract)
    alpha = postprocess.person_alpha(values, contract)

    files = {
        "rgb": f"{name}.rgb",
        "packed": f"{name}.input.bin",
        "raw": f"{name}.output.bin",
        "labels": f"{name}.labels.i32",
        "alpha": f"{name}.alpha.f32",
    }
    (out_dir / files["rgb"]).write_bytes(np.ascontiguousarray(rgb, dtype=np.uint8).tobytes())
    (out_dir / files["packed"]).write_bytes(_little_endian(packed))
    (out_dir / files["raw"]).write_bytes(_little_endian(raw))
    (out_dir / files["labels"]).write_bytes(_little_endian(labels.astype(np.int32)))
    (out_dir / files["alpha"]).write_bytes(_little_endian(alpha.astype(np.float32)))

    def tensor(details):
        scale, zero_point = details["quantization"]
        return {
            "type": np.dtype(details["dtype"]).name.upper(),
            "shape": [int(d) for d in details["shape"]],
            "scale": float(scale),
            "zero_point": int(zero_point),
        }

    case = {
        "name": name,
        "model": model_path.name,
        "contract_json": contract.to_json(),
        "input": tensor(input_details),
        "output": tensor(output_details),
        **files,
        "python_person_pixels": int((labels == postprocess.portrait_class(contract)).sum()),
    }
    if source is not None:
        (out_dir / f"{name}.source.rgb").write_bytes(np.ascontiguousarray(source, dtype=np.uint8).tobytes())
        case["resize_source"] = {"file": f"{name}.source.rgb", "width": source.shape[1], "height": source.shape[0]}
    return case


def run_java_parity(junit_classpath, out_dir, cases):
    return run_java_cases(
        junit_classpath, "ParityTest", "edgedeeplab.parity.dir", out_dir, cases, "parity", "post-processing"
    )


def test_tiny_models_of_every_output_kind(junit_classpath, tiny_tflite, tmp_path):
    from edge_deeplab.evaluate.inference import resize_bilinear

    rng = np.random.default_rng(7)
    cases = []
    for name, (path, contract) in tiny_tflite.items():
        # A camera-like frame of another size and aspect, resized by OpenCV as the evaluator does.
        source = rng.integers(0, 256, size=(30, 40, 3), dtype=np.uint8)
        rgb = resize_bilinear(source, contract.input_height, contract.input_width)
        (tmp_path / path.name).write_bytes(path.read_bytes())
        case = save_case(tmp_path, name, tmp_path / path.name, contract, rgb, source)
        if case is not None:
            cases.append(case)
    assert {c["output"]["type"] for c in cases} >= {"FLOAT32", "INT8", "UINT8"}
    for case in cases:  # both sides of the person boundary occur, so the comparison means something
        assert 0 < case["python_person_pixels"] < 16 * 16, case["name"]
    report = run_java_parity(junit_classpath, tmp_path, [c for c in cases if c is not None])
    print(report)


def test_published_peer_models(junit_classpath, shared, tmp_path):
    """Google's DeepLab v3 (21-class logits) and MediaPipe's selfie model (person alpha)."""
    import cv2

    from edge_deeplab.litert import outputs as postprocess
    from edge_deeplab.evaluate.inference import resize_bilinear
    from edge_deeplab.peers import PEERS

    golden_dir = shared / "peers/deeplabv3-mnv2-dm05-voc"
    golden = cv2.cvtColor(cv2.imread(str(golden_dir / "golden_input.jpg")), cv2.COLOR_BGR2RGB)
    cases = []
    for peer_name, rgb_for in (("deeplabv3-voc", lambda c: golden), ("mediapipe-selfie", None)):
        peer = PEERS[peer_name]
        model = tmp_path / f"{peer_name}.tflite"
        model.write_bytes(tiny_models.embed_contract((shared / peer.file).read_bytes(), peer.contract))
        if rgb_for is not None:
            cases.append(save_case(tmp_path, peer_name, model, peer.contract, rgb_for(peer.contract)))
        else:  # a portrait camera frame (480x640) resized to the model by OpenCV
            frame = resize_bilinear(golden, 640, 480)
            rgb = resize_bilinear(frame, peer.contract.input_height, peer.contract.input_width)
            cases.append(save_case(tmp_path, peer_name, model, peer.contract, rgb, frame))

    # The reference itself is right: on Google's golden vector, Python's label map is Google's mask.
    labels = np.frombuffer((tmp_path / cases[0]["labels"]).read_bytes(), dtype="<i4").reshape(257, 257)
    expected = cv2.imread(str(golden_dir / "golden_mask_x10.png"), cv2.IMREAD_UNCHANGED) // 10
    assert (labels == expected).mean() >= 0.99
    assert cases[0]["python_person_pixels"] > 1000 and cases[1]["python_person_pixels"] > 1000
    assert postprocess.portrait_class(PEERS["deeplabv3-voc"].contract) == 15

    report = run_java_parity(junit_classpath, tmp_path, cases)
    print(report)


def test_models_from_our_exporter(junit_classpath, tmp_path):
    """What `edge-deeplab export` writes, for a model trained (briefly) on synthetic portraits."""
    from edge_deeplab.converters.export import export
    from edge_deeplab.litert.flatbuffer import read_tflite_contract
    from edge_deeplab.data import open_dataset
    from edge_deeplab.data.synthetic import write_synthetic
    from edge_deeplab.model import DeepLabConfig
    from edge_deeplab.train import TrainConfig, TrainSpec, train

    data = write_synthetic(tmp_path / "scenes", n_train=16, n_val=4, size=65, seed=11)
    config = DeepLabConfig(input_size=(65, 65), depth_multiplier=0.35, aspp_channels=16, decoder_channels=16)
    # Fitted to its training images (no augmentation), so that it draws a real person boundary on one.
    train(
        TrainSpec(
            data,
            config,
            TrainConfig(epochs=12, batch_size=4, optimizer="adamw", learning_rate=0.01, warmup_epochs=0, augment=False),
        ),
        tmp_path / "run",
        progress=False,
        log=lambda line: None,
    )
    variants = [
        ("fp32", "float", "logits"),
        ("fp16", "float", "probabilities"),
        ("int8", "uint8", "person_alpha"),
        ("int8", "int8", "label_map"),
    ]
    rgb = open_dataset(data, "train")[0].image
    cases = []
    for fmt, io_type, kind in variants:
        (result,) = export(
            tmp_path / "run" / "last",
            tmp_path / f"{fmt}-{io_type}-{kind}",
            [fmt],
            io_type=io_type,
            output_kind=kind,
            data=data,
            num_calibration=8,
            gpu_check=False,
            log=lambda line: None,
        )
        model = tmp_path / f"ours-{fmt}-{io_type}-{kind}.tflite"
        model.write_bytes(open(result.path, "rb").read())
        case = save_case(tmp_path, model.stem, model, read_tflite_contract(model), rgb)
        if case is not None:
            cases.append(case)
    assert len(cases) == 3  # the label map left out
    for case in cases:  # the model found a person, and not everywhere: the comparison means something
        assert 0 < case["python_person_pixels"] < 65 * 65, case["name"]
    print(run_java_parity(junit_classpath, tmp_path, cases))
