"""`edge-deeplab pipeline`: the main job. Its options map onto PipelineConfig; run.py:plan decides the rest."""

import dataclasses

import click

from edge_deeplab.converters.formats import FORMAT_NAMES, parse_formats
from edge_deeplab.model.cli import config_from_options, config_options
from edge_deeplab.options import (
    OPTIMIZER_HELP,
    example,
    json_option,
    output_option,
    progress_option,
    with_default,
)
from edge_deeplab.pipeline.report import GATE_FAILED_EXIT, failed_gates
from edge_deeplab.pipeline.run import (
    DEFAULT_INIT,
    DEFAULT_MODEL,
    DEFAULT_QAT,
    DEFAULT_TRAIN,
    FINE_TUNE_TRAIN,
    PipelineConfig,
)
from edge_deeplab.train.config import TrainConfig

#: The pipeline's defaults, shown in --help from its config dataclasses (the one place they are set).
PIPELINE = PipelineConfig()


@click.command(
    short_help="Train, QAT, export, gate, evaluate, benchmark.",
    epilog=example(
        "edge-deeplab pipeline --from-model preset:person --data ../shared/data/ccp-person --max-int8-loss 0.5"
    ),
)
@click.option(
    "--data",
    default=PIPELINE.data,
    show_default=True,
    help="Dataset folder (PASCAL VOC or images/ + masks/) or the embedded 'synthetic' portraits.",
)
@output_option("Folder of the whole run and its report.", default=PIPELINE.output, show_default=True)
@click.option(
    "--from-model",
    type=click.Path(),
    help="Start from this trained model folder, or preset:person (the shipped person model), skipping training.",
)
@click.option(
    "--init-from",
    default=DEFAULT_INIT,
    show_default=True,
    help="Model folder or preset:NAME training starts from, and distils from so that --data does not "
    "unteach it; 'none' trains from scratch. The model options below (defaults shown for "
    "scratch) change a starting model's shape: its matching layers are copied.",
)
@click.option("--backbone-weights", help="With --init-from none: 'imagenet' or a Keras no-top MobileNet-v2 .h5.")
@click.option("--labels", help="Label mapping JSON for the dataset.")
@config_options(defaults=DEFAULT_MODEL)
@click.option(
    "--epochs",
    type=int,
    help=f"Training epochs.  [default: {FINE_TUNE_TRAIN.epochs} from a model, {DEFAULT_TRAIN.epochs} from scratch]",
)
@click.option("--batch-size", type=int, help=with_default("Training and QAT batch size.", DEFAULT_TRAIN, "batch_size"))
@click.option(
    "--learning-rate",
    type=float,
    help=f"Training base learning rate.  [default: {FINE_TUNE_TRAIN.learning_rate:g} from a model "
    f"({FINE_TUNE_TRAIN.optimizer}), {DEFAULT_TRAIN.learning_rate:g} from scratch "
    f"({DEFAULT_TRAIN.optimizer}); another optimizer: {TrainConfig.learning_rate:g} for sgd]",
)
@click.option(
    "--optimizer",
    type=click.Choice(["sgd", "adamw"]),
    help=f"{OPTIMIZER_HELP}  [default: {FINE_TUNE_TRAIN.optimizer} from a model, "
    f"{DEFAULT_TRAIN.optimizer} from scratch]",
)
@click.option("--qat-epochs", type=int, help=with_default("QAT epochs.", DEFAULT_QAT, "epochs"))
@click.option(
    "--formats", default=",".join(FORMAT_NAMES), show_default=True, help=f"Comma-separated: {', '.join(FORMAT_NAMES)}."
)
@click.option(
    "--calibration-images",
    type=int,
    default=PIPELINE.calibration_images,
    show_default=True,
    help="Training images int8 post-training quantization measures activation ranges on.",
)
@click.option(
    "--peers/--no-peers",
    default=None,
    help="Compare with Google's DeepLab v3 and MediaPipe's selfie model.  [default: when ../shared holds them]",
)
@click.option(
    "--bench-runs",
    type=int,
    default=PIPELINE.bench_runs,
    show_default=True,
    help="Timed runs per model and setting in the host benchmark (the median is reported).",
)
@click.option("--serial", help="Phone to benchmark on (adb serial).")
@click.option("--benchmark-binary", type=click.Path(), help="benchmark_model for the phone (android_aarch64).")
@click.option(
    "--min-fps",
    type=float,
    default=PIPELINE.min_fps,
    show_default=True,
    help="Frames per second each export must reach on the phone's GPU delegate for its verdict to PASS.",
)
@click.option(
    "--max-int8-loss",
    type=float,
    default=PIPELINE.max_int8_loss,
    show_default=True,
    help="mIoU points int8 post-training quantization may lose against the float model before its verdict FAILs.",
)
@click.option(
    "--max-qat-loss",
    type=float,
    default=PIPELINE.max_qat_loss,
    show_default=True,
    help="mIoU points int8 from QAT may lose against the float model before its verdict FAILs.",
)
@click.option(
    "--real-photos/--no-real-photos",
    default=None,
    help="Also score the models on shared/'s held-out real photos (eg1800 test, ccp-person val, "
    "coco-people).  [default: where shared/ holds them]",
)
@click.option(
    "--min-person-iou",
    type=float,
    default=PIPELINE.min_person_iou,
    show_default=True,
    help="Person IoU each integer export must reach on each set of real photos for its verdict to PASS.",
)
@click.option(
    "--strict",
    is_flag=True,
    help=f"Also exit {GATE_FAILED_EXIT} when a gate is NOT MEASURED (e.g. the phone's FPS without a phone).",
)
@json_option("Also write the whole report as JSON to this file (OUTPUT/report.json holds it too).")
@progress_option()
def pipeline(
    data,
    output,
    from_model,
    init_from,
    backbone_weights,
    labels,
    epochs,
    batch_size,
    learning_rate,
    optimizer,
    qat_epochs,
    formats,
    calibration_images,
    peers,
    bench_runs,
    serial,
    benchmark_binary,
    min_fps,
    max_int8_loss,
    max_qat_loss,
    real_photos,
    min_person_iou,
    strict,
    json_path,
    progress,
    config_file,
    **model_options,
):
    """Train -> QAT -> export -> GPU gates -> evaluate -> benchmark -> deployment report (HTML, Markdown, JSON).

    Exit status: 0 when every verdict PASSes (NOT MEASURED too, unless --strict), 3 when a verdict FAILs,
    1 for a user error (bad path, bad data), 2 for a bad option.
    """
    from edge_deeplab.pipeline.run import run_pipeline

    if backbone_weights and not from_model and init_from not in (None, "none"):
        raise click.UsageError("--backbone-weights starts a model from scratch: add --init-from none")
    config = PipelineConfig(
        data=data,
        output=output,
        backbone_weights=backbone_weights,
        labels=labels,
        from_model=from_model,
        init_from=init_from,
        formats=parse_formats(formats),
        calibration_images=calibration_images,
        peers=peers,
        bench_runs=bench_runs,
        serial=serial,
        benchmark_binary=benchmark_binary,
        min_fps=min_fps,
        max_int8_loss=max_int8_loss,
        max_qat_loss=max_qat_loss,
        real_photos=real_photos,
        min_person_iou=min_person_iou,
    )
    config = _with_training_options(config, epochs, batch_size, learning_rate, optimizer)
    config = _with_model_options(config, config_file, model_options)
    config = _with_qat_options(config, qat_epochs, batch_size)
    report = run_pipeline(config, log=click.echo, progress=progress)
    if json_path:  # before the exit status, which a failed gate makes non-zero
        from edge_deeplab.io import write_json

        write_json(json_path, report)
    _print_verdicts(report, strict)


def _with_training_options(config: PipelineConfig, epochs, batch_size, learning_rate, optimizer) -> PipelineConfig:
    """`config` with the training options given (None: not given)."""
    from edge_deeplab.pipeline.run import plan, train_config_for

    changes = {
        k: v
        for k, v in {
            "epochs": epochs,
            "batch_size": batch_size,
            "learning_rate": learning_rate,
            "optimizer": optimizer,
        }.items()
        if v is not None
    }
    # --from-model skips training: nothing starts from --init-from
    start = None if config.from_model else config.init_from
    # --epochs asks for a training stage; the other training options shape the one the plan has (on the
    # synthetic scenes a starting model has none: plan() says why).
    if changes and (epochs is not None or plan(config).from_model is None):
        config = dataclasses.replace(config, train=train_config_for(start, **changes))
    return config


def _with_model_options(config: PipelineConfig, config_file, model_options: dict) -> PipelineConfig:
    """`config` with the model options given (--config and the DeepLabConfig options; None: not given)."""
    from edge_deeplab.model.saving import read_model_json
    from edge_deeplab.pipeline.run import plan

    if config_file or any(value is not None for value in model_options.values()):
        # The model options change the starting model's shape (its matching layers are copied), or DEFAULT_MODEL's.
        start = plan(config).init_from
        base = read_model_json(start)[0] if start else DEFAULT_MODEL
        config = dataclasses.replace(
            config, model=config_from_options(config_file, base=base.to_dict(), **model_options)
        )
    return config


def _with_qat_options(config: PipelineConfig, qat_epochs, batch_size) -> PipelineConfig:
    """`config` with the QAT options given (None: not given) over the plan's QAT stage."""
    from edge_deeplab.pipeline.run import plan

    changes = {k: v for k, v in {"epochs": qat_epochs, "batch_size": batch_size}.items() if v is not None}
    if changes:
        config = dataclasses.replace(config, qat=plan(config).qat.replace(**changes))
    return config


def _print_verdicts(report: dict, strict: bool) -> None:
    """One line per gate's verdict; exit GATE_FAILED_EXIT when any gate did not pass (NOT MEASURED too with
    --strict)."""
    for verdict in report["verdicts"]:
        click.echo(f"{verdict['status']:>12}  {verdict['gate']}: {verdict['detail']}")
    failed = failed_gates(report["verdicts"], strict=strict)
    if failed:
        # A CI job stops on the exit status, not on the report's wording.
        click.echo(
            f"pipeline: {len(failed)} gate(s) did not pass: {'; '.join(failed)} (exit {GATE_FAILED_EXIT})", err=True
        )
        raise SystemExit(GATE_FAILED_EXIT)
