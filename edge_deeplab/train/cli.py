"""`edge-deeplab train`: train a DeepLab model on a dataset folder (or the synthetic default)."""
from pathlib import Path

import click

from edge_deeplab.errors import EdgeDeeplabError

from edge_deeplab.model.cli import config_from_options, config_options


def _read_config_file(path):
    """A run config: {"model": {...}, "train": {...}, "labels": ...}; a flat file is a model config."""
    if not path:
        return {}, {}, None
    from edge_deeplab.settings import read_json_object

    data = read_json_object(path, "config", "'model' and 'train' sections")
    if "model" in data or "train" in data:
        return data.get("model", {}), data.get("train", {}), data.get("labels")
    return data, {}, None


def _refuse_changes_on_resume(output, model_section, model_options, train_section, train_options):
    """--resume continues the saved run: a model or training option that differs from it (all but --epochs)
    would be silently ignored, so it is refused by name."""
    from edge_deeplab.model.cli import config_from_options
    from edge_deeplab.model.config import DeepLabConfig
    from edge_deeplab.train.config import TrainConfig
    from edge_deeplab.train.loop import RUN_JSON, read_run

    if not (Path(output) / RUN_JSON).is_file():
        return  # the loop says there is nothing to resume
    run = read_run(output)
    source = str(Path(output) / RUN_JSON)
    saved_model = DeepLabConfig.from_dict(run["model"], source=source)
    wanted_model = config_from_options(base={**saved_model.to_dict(), **model_section}, **model_options)
    saved_train = TrainConfig.from_dict(run["train"], source=source)
    wanted_train = TrainConfig.from_dict({**saved_train.to_dict(), **train_section, **train_options}, source=source)
    changed = [name for name in saved_model.to_dict() if getattr(saved_model, name) != getattr(wanted_model, name)]
    changed += [name for name in saved_train.to_dict()
                if name != "epochs" and getattr(saved_train, name) != getattr(wanted_train, name)]
    if changed:
        flags = {"depth_multiplier": "--alpha", "use_decoder": "--decoder/--no-decoder"}
        options = ", ".join(flags.get(name, "--" + name.replace("_", "-")) for name in changed)
        raise EdgeDeeplabError(f"--resume continues the run in {output} with its saved options, so {options} would "
                               "be ignored: drop it (only --epochs may change), or train a new run in another "
                               "--output")


@click.command()
@click.option("--data", required=True, help="Dataset folder (PASCAL VOC or images/ + masks/), or 'synthetic'.")
@click.option("--val-data", help="Another dataset for validation [the val split of --data].")
@click.option("--output", required=True, type=click.Path(file_okay=False), help="Run folder, e.g. runs/NAME.")
@click.option("--resume", is_flag=True, help="Continue the run in --output from its last checkpoint.")
@click.option("--labels", "labels_config", help="Label mapping JSON (class names and a source-label map).")
@click.option("--skip-bad-samples", is_flag=True, help="Skip unreadable or inconsistent samples with a warning.")
@click.option("--backbone-weights", help="'imagenet' or a Keras no-top MobileNet-v2 .h5 to start from.")
@config_options
@click.option("--epochs", type=int)
@click.option("--batch-size", type=int)
@click.option("--optimizer", type=click.Choice(["sgd", "adamw"]))
@click.option("--learning-rate", type=float, help="Base rate of the poly schedule.")
@click.option("--poly-power", type=float)
@click.option("--warmup-epochs", type=float)
@click.option("--weight-decay", type=float)
@click.option("--loss", type=click.Choice(["ce", "ce+dice", "ce+lovasz"]))
@click.option("--seed", type=int)
@click.option("--strategy", type=click.Choice(["none", "mirrored", "multi-worker"]),
              help="tf.distribute: mirrored over this machine's GPUs, multi-worker across machines (TF_CONFIG).")
@click.option("--cpu-replicas", type=int, default=0, help="Split the CPU into N logical devices (to try --strategy "
                                                          "mirrored without GPUs).")
@click.option("--checkpoint-every-steps", type=int)
@click.option("--min-scale", type=float, help="Smallest random rescale [0.5].")
@click.option("--max-scale", type=float, help="Largest random rescale [2.0].")
@click.option("--resize-to-input/--keep-image-size", "resize_to_input", default=None,
              help="Resize each image to the model input before random scaling, as inference does [resize].")
@click.option("--augment/--no-augment", default=None, help="Random scale, crop, flip and colour jitter [on].")
@click.option("--cache", is_flag=True, default=None, help="Keep decoded images in memory after the first epoch.")
@click.option("--deterministic", is_flag=True, help="Deterministic TensorFlow ops: bit-identical reruns, slower.")
@click.option("--no-progress", is_flag=True, help="No progress bar (for log files).")
def train(data, val_data, output, resume, labels_config, skip_bad_samples, backbone_weights, cpu_replicas,
          deterministic, no_progress, config_file, **options):
    """Train DeepLab v3+ (SGD + poly by default), checkpointing every epoch and on Ctrl-C."""
    from edge_deeplab.train.config import TrainConfig
    from edge_deeplab.train.loop import train as run_training

    model_section, train_section, labels_from_file = _read_config_file(config_file)
    train_names = {"epochs", "batch_size", "optimizer", "learning_rate", "poly_power", "warmup_epochs",
                   "weight_decay", "loss", "seed", "strategy", "checkpoint_every_steps", "cache", "augment",
                   "min_scale", "max_scale", "resize_to_input"}
    train_options = {k: v for k, v in options.items() if k in train_names and v is not None}
    model_options = {k: v for k, v in options.items() if k not in train_names}
    labels_config = labels_config or labels_from_file
    train_config = TrainConfig.from_dict({**train_section, **train_options}, source=str(config_file or "options"))
    model_config = None
    if resume:
        _refuse_changes_on_resume(output, model_section, model_options, train_section, train_options)
    else:
        if model_options.get("num_classes") is None and "num_classes" not in model_section:
            from edge_deeplab.data import open_dataset

            classes = open_dataset(data, "train", labels_config=labels_config, verify=False).class_names
            model_section = {**model_section, "num_classes": len(classes)}
        model_config = config_from_options(base=model_section, **model_options)
    result = run_training(data, output, model_config, train_config if not resume or train_options else None,
                          val_data=val_data, backbone_weights=backbone_weights, resume=resume,
                          labels_config=labels_config, on_error="skip" if skip_bad_samples else "raise",
                          cpu_replicas=cpu_replicas, deterministic=deterministic, progress=not no_progress, log=click.echo)
    click.echo(f"best val mIoU {result['best_val_miou']:.4f}; models in {Path(output) / 'best'} and "
               f"{Path(output) / 'last'}")
