"""`edge-deeplab quant-report`: user mistakes end in one line and exit 1, before any conversion."""

from click.testing import CliRunner

from edge_deeplab.cli import main


def _run(*args):
    result = CliRunner().invoke(main, ["quant-report", *map(str, args)])
    return result.exit_code, result.output.strip()


def test_missing_model(tmp_path):
    code, output = _run(tmp_path / "nope", "--data", tmp_path)
    assert code == 1 and output.startswith("Error:") and "nope" in output and "\n" not in output


def test_folder_that_is_no_model(tmp_path):
    code, output = _run(tmp_path, "--data", tmp_path)
    assert code == 1 and "not an edge-deeplab model folder" in output and "\n" not in output


def test_dataset_without_masks(tiny_model, tmp_path):
    import shutil

    model, data = tiny_model
    shutil.copytree(data / "images", tmp_path / "images")
    for split in ("train.txt", "val.txt"):
        shutil.copy(data / split, tmp_path / split)
    code, output = _run(model, "--data", tmp_path)
    assert code == 1 and "has no masks" in output and "\n" not in output


def test_missing_dataset_and_split(tiny_model, tmp_path):
    model, data = tiny_model
    code, output = _run(model, "--data", tmp_path / "absent")
    assert code == 1 and "dataset folder not found" in output
    code, output = _run(model, "--data", data, "--split", "test")
    assert code == 1 and "test" in output and "\n" not in output


def test_bad_counts(tiny_model):
    model, data = tiny_model
    for bad in ("1,x", "-1"):
        code, output = _run(model, "--data", data, "--selective", bad)
        assert code == 1 and "--selective" in output and "\n" not in output
