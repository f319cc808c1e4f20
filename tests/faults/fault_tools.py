"""What the fault tests share: a tiny model's options, the CLI in-process, and the one-line error check."""

from click.testing import CliRunner

from edge_deeplab.cli import main

#: A model that builds and runs in a second: each fault case pays for its fault, not for a model.
S = ["--alpha", "0.35", "--aspp-channels", "16", "--decoder-channels", "16", "--input-size", "65"]
#: A pipeline run that is over in a minute or two: one epoch of each, no peers, no real photos, one timed run.
QUICK_PIPELINE = [
    "--epochs",
    "1",
    "--qat-epochs",
    "1",
    "--batch-size",
    "2",
    "--no-peers",
    "--no-real-photos",
    "--bench-runs",
    "1",
    "--no-progress",
]


def cli(*args):
    """`edge-deeplab ARGS` in this process (click's runner); every argument made a string."""
    return CliRunner().invoke(main, [*map(str, args)])


def one_line(result, *names):
    """Assert a user error: exit 1, no traceback, one line starting "Error: " that names each of `names`."""
    assert result.exit_code == 1 and "Traceback" not in result.output, (result.output, result.exception)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    for name in names:
        assert str(name) in lines[0], lines[0]
    return lines[0]


def stub_run(folder, data):
    """A run folder holding only the run.json of a tiny 1-epoch run on `data` (what --resume reads first)."""
    import json
    from pathlib import Path

    folder = Path(folder)
    folder.mkdir()
    (folder / "run.json").write_text(
        json.dumps(
            {
                "model": {"num_classes": 2, "input_size": [65, 65], "depth_multiplier": 0.35},
                "train": {"batch_size": 2, "epochs": 1},
                "data": {"train": str(data), "val": str(data), "labels": None},
            }
        )
    )
    return folder
