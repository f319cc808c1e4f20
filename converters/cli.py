"""`edge-deeplab qat`, `edge-deeplab export` and `edge-deeplab gpu-check`."""

from pathlib import Path

import click

from edge_deeplab.contract import OUTPUT_KINDS
from edge_deeplab.converters.formats import (
    DEFAULT_EXPORT_FORMATS,
    DEFAULT_OUTPUT_KIND,
    FORMAT_NAMES,
    IO_TYPES,
    parse_formats,
)
from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.options import OPTIMIZER_HELP, example, json_option, output_option, progress_option, with_default
from edge_deeplab.train.config import QAT_DEFAULTS


@click.command(
    short_help="Quantization-aware fine-tuning.",
    epilog=example("edge-deeplab qat runs/ccp/best --data ../shared/data/ccp-person --output runs/ccp-qat"),
)
@click.argument("model", type=click.Path())
@click.option(
    "--data", help="Dataset folder (or 'synthetic') to fine-tune on.  [default: the float model's training data]"
)
@output_option("QAT run folder, e.g. runs/NAME-qat.", required=True)
@click.option("--resume", is_flag=True, help="Continue the QAT run in --output from its last checkpoint.")
@click.option("--epochs", type=int, help=with_default("QAT epochs.", QAT_DEFAULTS, "epochs"))
@click.option("--batch-size", type=int, help=with_default("Global batch size.", QAT_DEFAULTS, "batch_size"))
@click.option(
    "--learning-rate",
    type=float,
    help=with_default("Base rate of QAT's own poly schedule, from a trained model.", QAT_DEFAULTS, "learning_rate"),
)
@click.option(
    "--optimizer", type=click.Choice(["sgd", "adamw"]), help=with_default(OPTIMIZER_HELP, QAT_DEFAULTS, "optimizer")
)
@click.option(
    "--checkpoint-every-steps",
    type=int,
    help=with_default("A checkpoint every N steps as well as each epoch.", QAT_DEFAULTS, "checkpoint_every_steps"),
)
@click.option(
    "--distill/--no-distill",
    default=True,
    show_default=True,
    help="Distil from the float MODEL while fine-tuning (edge_deeplab/train/distill.py), so that QAT keeps "
    "what the float model knew beyond --data.",
)
@click.option(
    "--distill-weight",
    type=float,
    help=with_default("Weight of the distillation term.", QAT_DEFAULTS, "distill_weight"),
)
@click.option(
    "--distill-from",
    "teachers",
    metavar="MODEL[:weight=W]",
    multiple=True,
    help="More teachers besides the float model, as in `train --distill-from` "
    "(e.g. peer:coral-voc:weight=1.5)"
    " [the float run's own TFLite teachers, from its run.json].",
)
@progress_option()
def qat(
    model,
    data,
    output,
    resume,
    epochs,
    batch_size,
    learning_rate,
    optimizer,
    checkpoint_every_steps,
    distill,
    distill_weight,
    teachers,
    progress,
):
    """Quantization-aware fine-tuning of a trained float MODEL (a saved model folder or preset:NAME)."""
    from edge_deeplab.model.saving import read_model_json
    from edge_deeplab.train.loop import train
    from edge_deeplab.train.spec import TrainSpec
    from edge_deeplab.train.teachers import teacher_specs

    labels, teacher = None, None
    if resume:  # the saved run's options stand: a changed one would be ignored (only --epochs may change)
        from edge_deeplab.train.cli import refuse_changes_on_resume

        given = {
            "batch_size": batch_size,
            "learning_rate": learning_rate,
            "optimizer": optimizer,
            "checkpoint_every_steps": checkpoint_every_steps,
            "distill_weight": distill_weight,
        }
        # --distill-from as a first start records it: the float model (unless --no-distill), then the teachers given.
        wanted_teachers = (([model] if distill else []) + list(teachers)) if teachers else None
        refuse_changes_on_resume(
            output, {}, {}, {}, {k: v for k, v in given.items() if v is not None}, None, wanted_teachers, data
        )
        _refuse_no_distill_on_resume(output, model, distill)
    else:
        read_model_json(model)  # a one-line error unless it is a model folder or a preset
        run = _run_beside(model)
        if data is None:  # the float run's data, when the model came out of `edge-deeplab train`
            if not run:
                raise EdgeDeeplabError(f"{model}: no training run beside it to take the data from: pass --data")
            data, labels = run["data"]["train"], run["data"].get("labels")
        # The float model teaches (--distill), beside the teachers given, or else the float run's TFLite ones
        # (its Keras teacher, if any, was what the float model has learnt from already).
        extra = list(teachers) or [str(spec) for spec in teacher_specs(run.get("teacher")) if spec.is_tflite]
        teacher = ([model] if distill else []) + extra
        teacher = teacher[0] if len(teacher) == 1 else teacher or None
    given = {
        "epochs": epochs,
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "optimizer": optimizer,
        "checkpoint_every_steps": checkpoint_every_steps,
        "distill_weight": distill_weight,
    }
    config = QAT_DEFAULTS.replace(**{name: value for name, value in given.items() if value is not None})
    if resume and epochs is None:  # the run's own epochs (run.json), not QAT_DEFAULTS' 1
        config = None
    spec = TrainSpec(
        data, None, config, labels_config=labels, init_from=None if resume else model, teacher=teacher, qat=True
    )
    result = train(spec, output, resume=resume, progress=progress, log=click.echo)
    click.echo(f"best QAT val mIoU {result['best_val_miou']:.4f}; QAT models in {Path(output) / 'best'}")


def _refuse_no_distill_on_resume(output, model, distill: bool) -> None:
    from edge_deeplab.train.runfolder import RUN_JSON, read_run
    from edge_deeplab.train.teachers import teacher_specs

    if distill or not (Path(output) / RUN_JSON).is_file():
        return
    taught_by = {str(Path(str(spec.model)).absolute()) for spec in teacher_specs(read_run(output).get("teacher"))}
    if str(Path(model).absolute()) in taught_by:
        raise EdgeDeeplabError(
            f"--resume continues the run in {output} with its saved options, so --no-distill would "
            "be ignored (it distils from the float model): drop it (only --epochs may change), or "
            "train a new run in another --output"
        )


@click.command(
    short_help="Export a model to TFLite (fp32/fp16/int8...).",
    epilog=example("edge-deeplab export runs/ccp/best --formats fp16,int8 --data ../shared/data/ccp-person"),
)
@click.argument("model", type=click.Path())
@click.option(
    "--formats",
    default=",".join(DEFAULT_EXPORT_FORMATS),
    show_default=True,
    help=f"Comma-separated: {', '.join(FORMAT_NAMES)}.",
)
@click.option("--qat-model", type=click.Path(), help="The QAT model folder for qat-int8 (from `edge-deeplab qat`).")
@output_option("Where the .tflite files go.  [default: MODEL/../export]")
@click.option("--data", help="Dataset for int8 calibration.  [default: the model's training data]")
@click.option(
    "--calibration-images",
    type=int,
    default=100,
    show_default=True,
    help="Training images int8 quantization measures activation ranges on.",
)
@click.option(
    "--io",
    "io_type",
    type=click.Choice(IO_TYPES),
    default="float",
    show_default=True,
    help="Input/output type (integer I/O for int8 and qat-int8 only).",
)
@click.option(
    "--output-kind",
    type=click.Choice(OUTPUT_KINDS),
    default=DEFAULT_OUTPUT_KIND,
    show_default=True,
    help="What the model outputs: class probabilities (softmax; MediaPipe Tasks' confidence masks), "
    "logits (raw scores), label_map (int32 class ids) or person_alpha (person probability, "
    "one channel).",
)
@click.option("--no-gpu-check", is_flag=True, help="Skip the dynamic GPU check (the static one always runs).")
@json_option("Also write the results (one entry per format) as JSON to this file.")
@progress_option("One line per exported format as it is done; --no-progress: only the table.")
def export(
    model, formats, qat_model, output, data, calibration_images, io_type, output_kind, no_gpu_check, json_path, progress
):
    """Export a saved MODEL (a model folder or preset:NAME) to TFLite formats and check each against the GPU
    delegate."""
    from edge_deeplab.converters.export import export as run_export
    from edge_deeplab.converters.export import format_table
    from edge_deeplab.io import check_distinct_outputs
    from edge_deeplab.presets import is_preset

    formats = parse_formats(formats)  # first: an empty list would export nothing and succeed
    if output is None and is_preset(model):
        raise EdgeDeeplabError(f"{model}: a preset's folder is part of the installed package: pass --output")
    folder = Path(output) if output else Path(model).parent / "export"
    check_distinct_outputs(
        {"--output": [folder / "export.json", folder / "calibration_manifest.json"], "--json": json_path},
        {"MODEL": model, "--qat-model": qat_model},
    )
    if data is None:
        data = _run_beside(model).get("data", {}).get("train")
    results = run_export(
        model,
        folder,
        formats,
        qat_model_path=qat_model,
        io_type=io_type,
        output_kind=output_kind,
        data=data,
        num_calibration=calibration_images,
        gpu_check=not no_gpu_check,
        log=click.echo if progress else (lambda line: None),
    )
    if json_path:
        from edge_deeplab.io import write_json

        write_json(json_path, [r.to_dict() for r in results])
    click.echo(format_table(results, output_kind))
    failed = [r.format for r in results if r.static_gate == "fail" or r.dynamic_gate == "fail"]
    if failed:
        raise EdgeDeeplabError(f"GPU-delegate gate failed for {', '.join(failed)}: see the ops named above")


@click.command(
    "gpu-check",
    short_help="Check .tflite files against the GPU delegate.",
    epilog=example("edge-deeplab gpu-check runs/ccp/export/best_fp16.tflite"),
)
@click.argument("tflite", nargs=-1, required=True, type=click.Path())
@click.option(
    "--tolerance",
    type=float,
    help="Also fail a model whose largest |GPU - CPU| output difference exceeds this.  [default: no limit; "
    "fp16 arithmetic moves probabilities by about 0.01]",
)
@json_option("Also write each model's verdicts (both gates, offending ops, notes) as JSON to this file.")
def gpu_check(tflite, tolerance, json_path):
    """Check .tflite files (or preset:NAME) against the mobile GPU delegate (static rules + LiteRT GPU
    compile).

    Exit status 1 when a model would not run whole on the GPU delegate."""
    import dataclasses

    from edge_deeplab.converters.gpu_gate import check_gpu
    from edge_deeplab.io import write_json

    if tolerance is not None and not 0 <= tolerance < float("inf"):  # NaN too
        raise click.BadParameter(f"{tolerance}: give a finite difference >= 0, e.g. 0.02", param_hint="--tolerance")
    failed, reports = [], []
    for path in tflite:
        report = check_gpu(path, tolerance=tolerance)
        click.echo(f"{path}: {report.status}: {report.summary}")
        for offender in list(report.static.offenders) + list(report.dynamic.offenders):
            click.echo(f"  {offender}")
        failed += [path] if report.status == "fail" else []
        reports.append({"model": path, "status": report.status, **dataclasses.asdict(report)})
    if json_path:  # written before the exit status, so that a CI job can keep the failing verdicts
        write_json(json_path, {"models": reports})
    if failed:
        raise EdgeDeeplabError(f"{len(failed)} model(s) would not run whole on the GPU delegate: {', '.join(failed)}")


def _run_beside(model) -> dict:
    """The run.json of the training run MODEL came out of (`edge-deeplab train` writes it beside best/ and
    last/); {} for a preset or a model folder from elsewhere."""
    from edge_deeplab.presets import is_preset
    from edge_deeplab.settings import read_json_object

    run_json = Path(model).parent / "run.json"
    if is_preset(model) or not run_json.is_file():
        return {}
    return read_json_object(run_json, "training run", "the options the model was trained with")
