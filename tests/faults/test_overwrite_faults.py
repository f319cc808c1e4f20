"""Issue 22, data loss: no command deletes or overwrites what it did not write (a positional output is
checked like --output; an output is never one of the command's inputs or another of its outputs)."""

import shutil

import pytest
from click.testing import CliRunner
from fault_tools import QUICK_PIPELINE

from edge_deeplab.cli import main
from edge_deeplab.errors import EdgeDeeplabError

S = ["--alpha", "0.35", "--aspp-channels", "16", "--decoder-channels", "16", "--input-size", "65"]
PEER = "peers/deeplabv3-mnv2-dm05-voc"


def _run(*args):
    return CliRunner().invoke(main, [*map(str, args)])


def _snapshot(folder):
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def _refused(result, *names):
    assert result.exit_code != 0 and "Traceback" not in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    for name in names:
        assert str(name) in result.output, result.output


def test_model_build_into_a_dataset_folder_keeps_the_dataset(tiny_scenes, tmp_path):
    dataset = tmp_path / "ds_copy"
    shutil.copytree(tiny_scenes, dataset)
    before = _snapshot(dataset)
    result = _run("model", "build", dataset, *S)
    _refused(result, dataset)
    assert _snapshot(dataset) == before


def test_model_build_into_a_run_folder_keeps_the_run(tmp_path):
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "NOTES.txt").write_text("what I tried\n")
    (run / "history.json").write_text('{"epochs": []}\n')
    before = _snapshot(run)
    _refused(_run("model", "build", run, *S), run)
    assert _snapshot(run) == before


def test_model_build_replaces_its_own_model_folder_and_fills_an_empty_one(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    assert _run("model", "build", model, *S).exit_code == 0
    again = _run("model", "build", model, *S, "--num-classes", "3")
    assert again.exit_code == 0, again.output
    assert '"num_classes": 3' in (model / "model.json").read_text()
    (model / "mine.txt").write_text("a user's file beside the model\n")
    _refused(_run("model", "build", model, *S), model)
    assert (model / "mine.txt").is_file() and (model / "weights.h5").is_file()


def test_model_import_into_the_folder_of_its_input_keeps_the_input(shared, tmp_path):
    peer = tmp_path / "peercopy"
    shutil.copytree(shared / PEER, peer)
    before = _snapshot(peer)
    result = _run("model", "import", peer / "deeplabv3_257.tflite", peer)
    _refused(result, peer)
    assert _snapshot(peer) == before


def test_save_model_refuses_a_folder_it_did_not_write(tmp_path):
    from edge_deeplab.errors import EdgeDeeplabError
    from edge_deeplab.model.config import DeepLabConfig
    from edge_deeplab.model.deeplab import build_deeplab
    from edge_deeplab.model.saving import default_contract, save_model

    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(b"not a model")
    config = DeepLabConfig(
        num_classes=2, input_size=(65, 65), depth_multiplier=0.35, aspp_channels=8, decoder_channels=8
    )
    with pytest.raises(EdgeDeeplabError, match="photos"):
        save_model(build_deeplab(config), config, default_contract(config), folder)
    assert [path.name for path in folder.iterdir()] == ["a.jpg"]


BENCH_FAST = ["--runs", "2", "--warmup", "1", "--threads", "1", "--no-e2e", "--no-gpu", "--no-progress"]


@pytest.fixture
def peer_tflite(shared, tmp_path):
    model = tmp_path / "deeplabv3_257.tflite"
    shutil.copy(shared / PEER / "deeplabv3_257.tflite", model)
    return model


def test_bench_host_with_json_and_history_on_one_file_keeps_the_history(peer_tflite, tmp_path):
    history = tmp_path / "history.jsonl"
    history.write_text("".join(f'{{"line": {i}}}\n' for i in range(72)))
    before = history.read_bytes()
    result = _run("bench", "host", peer_tflite, *BENCH_FAST, "--json", history, "--history", history)
    _refused(result, "--json", "--history", history)
    assert history.read_bytes() == before


def test_bench_host_with_json_on_the_model_keeps_the_model(peer_tflite, tmp_path):
    before = peer_tflite.read_bytes()
    result = _run(
        "bench", "host", peer_tflite, *BENCH_FAST, "--json", peer_tflite, "--history", tmp_path / "history.jsonl"
    )
    _refused(result, "--json", peer_tflite)
    assert peer_tflite.read_bytes() == before


def test_bench_device_with_json_on_the_binary_keeps_it(peer_tflite, tmp_path):
    binary = tmp_path / "benchmark_model"
    binary.write_bytes(b"\x7fELF a phone's benchmark_model")
    result = _run(
        "bench",
        "device",
        peer_tflite,
        "--benchmark-binary",
        binary,
        "--json",
        binary,
        "--history",
        tmp_path / "history.jsonl",
        "--no-progress",
    )
    _refused(result, "--json", binary)
    assert binary.read_bytes() == b"\x7fELF a phone's benchmark_model"


def test_export_with_json_in_the_model_folder_keeps_the_model(tmp_path):
    model = tmp_path / "model"
    assert _run("model", "build", model, *S).exit_code == 0
    before = _snapshot(model)
    result = _run(
        "export",
        model,
        "--formats",
        "fp32",
        "--no-gpu-check",
        "--output",
        tmp_path / "export",
        "--no-progress",
        "--json",
        model / "model.json",
    )
    _refused(result, "--json", model)
    assert _snapshot(model) == before


# The pipeline replaces its stage folders (train/, qat/, export/) whole when a stage runs again: a folder of
# that name it did not write (a user's own run called train/) is refused before any work, not deleted.
PIPELINE = [*QUICK_PIPELINE, "--formats", "fp32"]


@pytest.mark.parametrize("stage", ["train", "export"])
def test_pipeline_keeps_a_stage_folder_it_did_not_write(tiny_scenes, tmp_path, stage):
    out = tmp_path / "runs"
    mine = out / stage
    (mine / "checkpoints").mkdir(parents=True)
    (mine / "NOTES.txt").write_text("what I tried\n")
    before = _snapshot(out)
    if stage == "train":
        start = ["--init-from", "none", *S]
    else:
        model = tmp_path / "model"
        assert _run("model", "build", model, *S).exit_code == 0
        start = ["--from-model", model]
    result = _run("pipeline", "--output", out, "--data", tiny_scenes, *start, *PIPELINE)
    _refused(result, mine, "--output")
    assert _snapshot(out) == before and [p.name for p in out.iterdir()] == [stage]


def test_pipeline_replaces_its_own_stage_folders(tmp_path):
    from edge_deeplab.pipeline.run import PipelineConfig
    from edge_deeplab.pipeline.steps import STAGE_MARKER, refuse_foreign_stage_folders
    from edge_deeplab.pipeline.stages import StageStore

    out = tmp_path / "runs"
    for name in ("train", "qat", "export"):  # as a killed pipeline leaves them: marked, not yet recorded
        (out / name).mkdir(parents=True)
        (out / name / STAGE_MARKER).write_text("fingerprint\n")
        (out / name / "partial").write_text("")
    refuse_foreign_stage_folders(out, StageStore(out), PipelineConfig(output=str(out)))
    (out / "export" / STAGE_MARKER).unlink()  # an export folder from before the marker: stages.json vouches for it
    (out / "stages.json").write_text('{"export": {"fingerprint": "f", "outputs": {}, "files": []}}')
    refuse_foreign_stage_folders(out, StageStore(out), PipelineConfig(output=str(out)))
    (out / "stages.json").unlink()
    with pytest.raises(EdgeDeeplabError, match="did not write"):
        refuse_foreign_stage_folders(out, StageStore(out), PipelineConfig(output=str(out)))
