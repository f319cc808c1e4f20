"""`edge-deeplab qat`, `edge-deeplab export` and `edge-deeplab gpu-check`."""
from pathlib import Path

import click

from edge_deeplab.converters.formats import DEFAULT_EXPORT_FORMATS, FORMAT_NAMES, parse_formats
from edge_deeplab.errors import EdgeDeeplabError


@click.command()
@click.argument("model", type=click.Path())
@click.option("--data", help="Dataset folder (or 'synthetic') to fine-tune on [the float model's training data].")
@click.option("--output", required=True, type=click.Path(file_okay=False), help="QAT run folder, e.g. runs/NAME-qat.")
@click.option("--resume", is_flag=True, help="Continue the QAT run in --output from its last checkpoint.")
@click.option("--epochs", type=int, default=3, show_default=True)
@click.option("--batch-size", type=int, default=8, show_default=True)
@click.option("--learning-rate", type=float, default=0.002, show_default=True,
              help="Base rate of QAT's own poly schedule: a tenth of float training's, from a trained model.")
@click.option("--optimizer", type=click.Choice(["sgd", "adamw"]), default="sgd", show_default=True)
@click.option("--checkpoint-every-steps", type=int, default=25, show_default=True)
@click.option("--no-progress", is_flag=True)
def qat(model, data, output, resume, epochs, batch_size, learning_rate, optimizer, checkpoint_every_steps,
        no_progress):
    """Quantization-aware fine-tuning of a trained float MODEL (a saved model folder)."""
    import json

    from edge_deeplab.model.saving import read_model_json
    from edge_deeplab.train.config import TrainConfig
    from edge_deeplab.train.loop import train

    labels = None
    if not resume:
        _, _, document = read_model_json(model)
        if data is None:  # the float run's data, when the model came out of `edge-deeplab train`
            run_json = Path(model).parent / "run.json"
            if not run_json.is_file():
                raise EdgeDeeplabError(f"{model}: no training run beside it to take the data from: pass --data")
            run = json.loads(run_json.read_text())
            data, labels = run["data"]["train"], run["data"].get("labels")
    config = TrainConfig(epochs=epochs, batch_size=batch_size, learning_rate=learning_rate, optimizer=optimizer,
                         warmup_epochs=0.0, checkpoint_every_steps=checkpoint_every_steps)
    result = train(data, output, None, config, init_from=None if resume else model, qat=True, resume=resume,
                   labels_config=labels, progress=not no_progress, log=click.echo)
    click.echo(f"best QAT val mIoU {result['best_val_miou']:.4f}; QAT models in {Path(output) / 'best'}")


@click.command()
@click.argument("model", type=click.Path())
@click.option("--formats", default=",".join(DEFAULT_EXPORT_FORMATS), show_default=True,
              help=f"Comma-separated: {', '.join(FORMAT_NAMES)}.")
@click.option("--qat-model", type=click.Path(), help="The QAT model folder for qat-int8 (from `edge-deeplab qat`).")
@click.option("--output-dir", type=click.Path(file_okay=False), help="Where the .tflite files go [MODEL/../export].")
@click.option("--data", help="Dataset for int8 calibration [the model's training data].")
@click.option("--calibration-images", type=int, default=100, show_default=True)
@click.option("--io", "io_type", type=click.Choice(["float", "uint8", "int8"]), default="float", show_default=True,
              help="Input/output type (integer I/O for int8 and qat-int8 only).")
@click.option("--output-kind", type=click.Choice(["logits", "probabilities", "label_map", "person_alpha"]),
              default="logits", show_default=True)
@click.option("--no-gpu-check", is_flag=True, help="Skip the dynamic GPU check (the static one always runs).")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def export(model, formats, qat_model, output_dir, data, calibration_images, io_type, output_kind, no_gpu_check,
           as_json):
    """Export a saved MODEL to TFLite formats and check each against the GPU delegate."""
    import json

    from edge_deeplab.converters.export import export as run_export
    from edge_deeplab.converters.export import format_table

    model_path = Path(model)
    if data is None:
        run_json = model_path.parent / "run.json"
        if run_json.is_file():
            data = json.loads(run_json.read_text())["data"]["train"]
    results = run_export(model_path, output_dir or model_path.parent / "export",
                         parse_formats(formats), qat_model_path=qat_model,
                         io_type=io_type, output_kind=output_kind, data=data, num_calibration=calibration_images,
                         gpu_check=not no_gpu_check, log=(lambda line: None) if as_json else click.echo)
    click.echo(json.dumps([r.to_dict() for r in results], indent=2) if as_json else format_table(results))
    failed = [r.format for r in results if r.static_gate == "fail" or r.dynamic_gate == "fail"]
    if failed:
        raise EdgeDeeplabError(f"GPU-delegate gate failed for {', '.join(failed)}: see the ops named above")


@click.command("gpu-check")
@click.argument("tflite", nargs=-1, required=True, type=click.Path())
def gpu_check(tflite):
    """Check .tflite files against the mobile GPU delegate (static rules + LiteRT GPU compile)."""
    from edge_deeplab.converters.gpu_gate import check_gpu

    failed = []
    for path in tflite:
        report = check_gpu(path)
        click.echo(f"{path}: {report.status}: {report.summary}")
        for offender in list(report.static.offenders) + list(report.dynamic.offenders):
            click.echo(f"  {offender}")
        failed += [path] if report.status == "fail" else []
    if failed:
        raise EdgeDeeplabError(f"{len(failed)} model(s) would not run whole on the GPU delegate: {', '.join(failed)}")
