"""Issue 15, case 6: option values are validated before any work starts."""

from click.testing import CliRunner

from edge_deeplab.cli import main


def test_pipeline_rejects_an_unknown_format_before_training(tmp_path):
    out = tmp_path / "pipeline"
    result = CliRunner().invoke(main, ["pipeline", "--output", str(out), "--formats", "fp32,fp64", "--epochs", "1"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.strip().splitlines() == [
        "Error: --formats fp32,fp64: format 'fp64' is unknown: choose from fp32, fp16, dynamic, int8, qat-int8"
    ]
    assert not out.exists(), "nothing trained, nothing written"


def test_pipeline_rejects_a_negative_min_fps_before_training(tmp_path):
    result = CliRunner().invoke(main, ["pipeline", "--output", str(tmp_path / "p"), "--min-fps", "-5"])
    assert result.exit_code == 1 and "--min-fps -5 must be a positive number" in result.output
    assert not (tmp_path / "p").exists()


# Issue 22: every numeric option is finite and in range, refused in one line before any run folder is written.
import pytest  # noqa: E402

S = ["--alpha", "0.35", "--aspp-channels", "16", "--decoder-channels", "16", "--input-size", "65"]
CHEAP = [*S, "--epochs", "1", "--batch-size", "2", "--no-progress"]  # should a check be missing


@pytest.mark.parametrize(
    "option, value, named",
    [
        ("--learning-rate", "nan", "learning_rate"),
        ("--learning-rate", "inf", "learning_rate"),
        ("--distill-weight", "nan", "distill_weight"),
        ("--batch-norm-momentum", "5", "batch_norm_momentum"),
        ("--poly-power", "-1", "poly_power"),
        ("--weight-decay", "-1", "weight_decay"),
        ("--seed", "-1", "seed"),
        ("--weight-decay", "nan", "weight_decay"),
        ("--min-scale", "nan", "min_scale"),
    ],
)
def test_train_refuses_a_number_out_of_range_before_any_work(tiny_scenes, tmp_path, option, value, named):
    run = tmp_path / "run"
    result = CliRunner().invoke(
        main, ["train", "--data", str(tiny_scenes), "--output", str(run), *CHEAP, option, value]
    )
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1 and named in result.output, result.output
    assert not run.exists()


@pytest.mark.parametrize(
    "option, value",
    [("--learning-rate", "nan"), ("--learning-rate", "inf"), ("--distill-weight", "nan"), ("--distill-weight", "inf")],
)
def test_qat_refuses_a_number_out_of_range_before_any_work(tiny_scenes, tmp_path, option, value):
    model = tmp_path / "model"
    assert CliRunner().invoke(main, ["model", "build", str(model), *S]).exit_code == 0
    run = tmp_path / "q"
    result = CliRunner().invoke(
        main, ["qat", str(model), "--data", str(tiny_scenes), "--output", str(run), "--batch-size", "2", option, value]
    )
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1 and option[2:].replace("-", "_") in result.output
    assert not run.exists()


@pytest.mark.parametrize("value", ["0", "-5"])
def test_export_refuses_no_calibration_images(tiny_scenes, tmp_path, value):
    model = tmp_path / "model"
    assert CliRunner().invoke(main, ["model", "build", str(model), *S]).exit_code == 0
    result = CliRunner().invoke(
        main,
        [
            "export",
            str(model),
            "--formats",
            "int8",
            "--data",
            str(tiny_scenes),
            "--output",
            str(tmp_path / "export"),
            "--calibration-images",
            value,
        ],
    )
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1 and "--calibration-images" in result.output, result.output
    assert not (tmp_path / "export").exists()


@pytest.mark.parametrize(
    "option, value, named",
    [
        ("--calibration-images", "0", "--calibration-images"),
        ("--bench-runs", "0", "--bench-runs"),
        ("--learning-rate", "nan", "learning_rate"),
        ("--learning-rate", "inf", "learning_rate"),
        ("--min-fps", "inf", "--min-fps"),
    ],
)
def test_pipeline_refuses_a_number_out_of_range_before_training(tiny_scenes, tmp_path, option, value, named):
    out = tmp_path / "p"
    result = CliRunner().invoke(
        main,
        [
            "pipeline",
            "--output",
            str(out),
            "--data",
            str(tiny_scenes),
            *S,
            "--epochs",
            "1",
            "--qat-epochs",
            "1",
            "--batch-size",
            "2",
            "--no-peers",
            "--no-progress",
            option,
            value,
        ],
    )
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1 and named in result.output, result.output
    assert not out.exists()


# Issue 22, acceptance: the numeric options of the other verbs, found by probing each with NaN, inf, 0 and a
# negative value. Each was accepted (exit 0, or work started) or blamed something else.
PERSON = "preset:person:int8"


def _one_line(result, *names):
    assert result.exit_code == 1 and "Traceback" not in result.output, (result.output, result.exception)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    for name in names:
        assert name in lines[0], lines[0]


@pytest.mark.parametrize(
    "options, named",
    [
        (["--threads", "0"], "--threads 0"),
        (["--blur", "nan"], "--blur nan"),
        (["--blur", "-3", "--portrait"], "--blur -3"),
    ],
)
def test_predict_refuses_a_number_out_of_range_naming_the_option(tiny_scenes, tmp_path, options, named):
    photo = next((tiny_scenes / "images").glob("*.png"))
    out = tmp_path / "out"
    _one_line(CliRunner().invoke(main, ["predict", PERSON, str(photo), "--output", str(out), *options]), named)
    assert not out.exists()


def test_evaluate_refuses_a_nan_scale(tiny_scenes, tmp_path):
    out = tmp_path / "ev"
    _one_line(
        CliRunner().invoke(
            main, ["evaluate", PERSON, "--data", str(tiny_scenes), "--output", str(out), "--scales", "1,nan"]
        ),
        "--scales",
    )
    assert not out.exists()


@pytest.mark.parametrize(
    "options, named",
    [
        (["--regression-threshold", "nan"], "--regression-threshold"),
        (["--regression-threshold", "-1"], "--regression-threshold"),
        (["--regression-threshold", "inf"], "--regression-threshold"),
        (["--mean", "127.5", "--std", "127.5", "--person-class", "-1"], "--person-class -1"),
        (["--person-class", "1"], "--person-class"),
    ],
)  # without --mean/--std it was silently ignored
def test_bench_host_refuses_a_number_out_of_range_before_any_run(tmp_path, options, named):
    result = CliRunner().invoke(
        main,
        [
            "bench",
            "host",
            PERSON,
            "--runs",
            "1",
            "--warmup",
            "0",
            "--threads",
            "1",
            "--no-gpu",
            "--no-e2e",
            "--json",
            str(tmp_path / "h.json"),
            "--history",
            str(tmp_path / "h.jsonl"),
            *options,
        ],
    )
    _one_line(result, named)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "options, named", [(["--top", "-1"], "--top"), (["--top", "0"], "--top"), (["--limit", "0"], "--limit")]
)
def test_quant_report_refuses_a_count_below_one(tiny_scenes, tmp_path, options, named):
    out = tmp_path / "qr"
    _one_line(
        CliRunner().invoke(
            main,
            [
                "quant-report",
                "preset:person",
                "--data",
                str(tiny_scenes),
                "--calibration-images",
                "2",
                "--selective",
                "0",
                "--output",
                str(out),
                "--no-progress",
                *options,
            ],
        ),
        named,
    )
    assert not out.exists()


def test_train_refuses_negative_cpu_replicas(tiny_scenes, tmp_path):
    run = tmp_path / "run"
    _one_line(
        CliRunner().invoke(
            main, ["train", "--data", str(tiny_scenes), "--output", str(run), *CHEAP, "--cpu-replicas", "-1"]
        ),
        "--cpu-replicas -1",
    )
    assert not run.exists()


def test_bench_device_refuses_an_infinite_min_fps_before_any_phone(tmp_path):
    model = tmp_path / "m.tflite"
    model.write_bytes(b"\x1c\x00\x00\x00TFL3" + bytes(100))
    _one_line(
        CliRunner().invoke(
            main,
            [
                "bench",
                "device",
                str(model),
                "--benchmark-binary",
                str(model),
                "--min-fps",
                "inf",
                "--json",
                str(tmp_path / "d.json"),
                "--history",
                str(tmp_path / "h.jsonl"),
            ],
        ),
        "--min-fps",
    )
