"""Issue 15, case 5: a damaged or mismatched model folder stops with one line naming the file and the fix."""

import json
import shutil

import pytest
from click.testing import CliRunner

from edge_deeplab.cli import main
from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.model.config import DeepLabConfig
from edge_deeplab.model.saving import default_contract, load_model, save_model

TINY = DeepLabConfig(num_classes=2, input_size=(65, 65), depth_multiplier=0.35, aspp_channels=8, decoder_channels=8)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    from edge_deeplab.model.deeplab import build_deeplab

    folder = tmp_path_factory.mktemp("model") / "tiny"
    save_model(build_deeplab(TINY), TINY, default_contract(TINY), folder)
    return folder


@pytest.fixture
def copy(saved, tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(saved, folder)
    return folder


def _edit_config(folder, **changes):
    document = json.loads((folder / "model.json").read_text())
    document["config"].update(changes)
    (folder / "model.json").write_text(json.dumps(document))


def test_intact_folder_loads(saved):
    model, contract = load_model(saved)
    assert contract.labels == ("background", "person") and model.output_shape[-1] == 2


def test_weights_cut_in_half(copy):
    weights = copy / "weights.h5"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    with pytest.raises(EdgeDeeplabError, match=r"weights\.h5 does not load .*damaged.*save or train"):
        load_model(copy)


@pytest.mark.parametrize("changes", [{"depth_multiplier": 0.5}, {"aspp_channels": 16}])
def test_model_json_that_does_not_match_the_weights(copy, changes):
    _edit_config(copy, **changes)
    with pytest.raises(EdgeDeeplabError, match=r"weights\.h5 does not load into the model .*model\.json"):
        load_model(copy)


def test_num_classes_that_does_not_match_the_labels(copy):
    _edit_config(copy, num_classes=3)
    with pytest.raises(EdgeDeeplabError, match=r"model\.json: num_classes is 3 but the contract names 2 labels"):
        load_model(copy)


def test_a_string_where_a_number_belongs(copy):
    _edit_config(copy, depth_multiplier="wide")
    with pytest.raises(EdgeDeeplabError, match=r"model\.json: model option depth_multiplier is \"wide\", not a number"):
        load_model(copy)


def test_no_config_key(copy):
    document = json.loads((copy / "model.json").read_text())
    del document["config"]
    (copy / "model.json").write_text(json.dumps(document))
    with pytest.raises(EdgeDeeplabError, match=r"model\.json has no 'config' object"):
        load_model(copy)


def test_damaged_model_via_the_cli_is_one_line(copy, tmp_path):
    weights = copy / "weights.h5"
    weights.write_bytes(weights.read_bytes()[:1000])
    result = CliRunner().invoke(
        main, ["export", str(copy), "--output", str(tmp_path / "export"), "--formats", "fp32", "--no-gpu-check"]
    )
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    message = result.output.strip().splitlines()[-1]
    assert message.startswith("Error: ") and str(weights) in message
    assert not (tmp_path / "export").exists() or not any((tmp_path / "export").iterdir())


@pytest.mark.parametrize(
    "content", ['{"depth_multiplier": "wide"}', '{"input_size": 65}', '{"config": 5}', '["not", "an object"]']
)
def test_config_file_with_wrong_types(tmp_path, content):
    path = tmp_path / "config.json"
    path.write_text(content)
    result = CliRunner().invoke(main, ["model", "summary", "--config", str(path)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and str(path) in lines[0], result.output


def test_config_given_as_json_text_instead_of_a_file(tmp_path):
    result = CliRunner().invoke(main, ["model", "summary", "--config", '{"depth_multiplier": "wide"}'])
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1, result.output
    assert "give a JSON file" in result.output
