"""`edge-deeplab train`: train a DeepLab model on a dataset folder (or the synthetic default)."""

import dataclasses
from pathlib import Path

import click

from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.model.cli import config_from_options, config_options
from edge_deeplab.options import OPTIMIZER_HELP, example, output_option, progress_option, with_default
from edge_deeplab.train.config import AUGMENT_PRESETS, DEFAULT_WEIGHT_DECAY, TrainConfig

#: Every training option's default, shown in --help from here (TrainConfig is the one place).
TRAIN = TrainConfig()


def _read_config_file(path):
    """A run config: {"model": {...}, "train": {...}, "labels": ...}; a flat file is a model config."""
    if not path:
        return {}, {}, None
    from edge_deeplab.settings import read_json_object

    data = read_json_object(path, "config", "'model' and 'train' sections")
    if "model" in data or "train" in data:
        return data.get("model", {}), data.get("train", {}), data.get("labels")
    return data, {}, None


#: Option names of the fields whose option is not --FIELD-NAME (both spellings of the on/off switches).
_FLAGS = {
    "depth_multiplier": "--alpha",
    "use_decoder": "--decoder/--no-decoder",
    "align_corners": "--align-corners/--half-pixel-centers",
    "resize_to_input": "--resize-to-input/--keep-image-size",
    "augment": "--augment/--no-augment",
    "fine_tune_batch_norm": "--fine-tune-batch-norm/--freeze-batch-norm",
    "freeze_backbone": "--freeze-backbone/--train-backbone",
    "cache": "--cache",
}


def refuse_changes_on_resume(
    output, model_section, model_options, train_section, train_options, init_from, teacher=None, data=None
):
    """--resume continues the saved run: a model or training option that differs from it (all but --epochs),
    other --data included, would be silently ignored, so it is refused by name."""
    from edge_deeplab.model.config import DeepLabConfig
    from edge_deeplab.train.runfolder import RUN_JSON, read_run

    if not (Path(output) / RUN_JSON).is_file():
        return  # the loop says there is nothing to resume
    run = read_run(output)
    source = str(Path(output) / RUN_JSON)
    saved_model = DeepLabConfig.from_dict(run["model"], source=source)
    wanted_model = config_from_options(base={**saved_model.to_dict(), **model_section}, **model_options)
    saved_train = TrainConfig.from_dict(run["train"], source=source)
    wanted_train = TrainConfig.from_dict({**saved_train.to_dict(), **train_section, **train_options}, source=source)
    # Every field, not to_dict()'s keys: those leave out options at their "off" value (distill_weight 1).
    changed = [
        field.name
        for field in dataclasses.fields(saved_model)
        if getattr(saved_model, field.name) != getattr(wanted_model, field.name)
    ]
    changed += [
        field.name
        for field in dataclasses.fields(saved_train)
        if field.name != "epochs" and getattr(saved_train, field.name) != getattr(wanted_train, field.name)
    ]
    options = [_FLAGS.get(name, "--" + name.replace("_", "-")) for name in changed]
    if init_from and str(init_from) != str(run.get("init_from")):
        options.append("--init-from")
    from edge_deeplab.train.teachers import teacher_text

    if teacher and str(teacher_text(teacher)) != str(run.get("teacher")):
        options.append("--distill-from")
    if data and _data_key(data) != _data_key(run["data"]["train"]):
        options.append("--data")
    if options:
        raise EdgeDeeplabError(
            f"--resume continues the run in {output} with its saved options, so "
            f"{', '.join(options)} would be ignored: drop it (only --epochs may change), or train "
            "a new run in another --output"
        )


def _data_key(data) -> list:
    """What a --data value means, for comparing two spellings of it: each dataset's absolute path (or
    'synthetic'), labels and weight."""
    from edge_deeplab.data.mix import data_specs

    return [
        (spec.path if spec.path == "synthetic" else str(Path(spec.path).absolute()), spec.labels, spec.weight)
        for spec in data_specs(data)
    ]


@click.command(
    short_help="Train DeepLab v3+ on your data.",
    epilog=example("edge-deeplab train --data ../shared/data/ccp-person --output runs/ccp --epochs 12"),
)
@click.option(
    "--data",
    required=True,
    multiple=True,
    metavar="PATH[:labels=FILE][:weight=W]",
    help="Dataset folder (PASCAL VOC or images/ + masks/) or 'synthetic'; repeat to train on several at "
    "once, each with its own labels config and sampling weight (all or none weighted; default: "
    "in proportion to size). Each one's val split is scored on its own and together.",
)
@click.option(
    "--val-data",
    multiple=True,
    metavar="PATH[:labels=FILE]",
    help="Other dataset(s) for validation, repeatable.  [default: the val splits of --data]",
)
@output_option("Run folder, e.g. runs/NAME.", required=True)
@click.option("--resume", is_flag=True, help="Continue the run in --output from its last checkpoint.")
@click.option("--labels", "labels_config", help="Label mapping JSON (class names and a source-label map).")
@click.option("--skip-bad-samples", is_flag=True, help="Skip unreadable or inconsistent samples with a warning.")
@click.option("--backbone-weights", help="'imagenet' or a Keras no-top MobileNet-v2 .h5 to start from.")
@click.option(
    "--init-from",
    type=click.Path(file_okay=False),
    help="A saved model folder (e.g. from `edge-deeplab model import`) to start from: its config is the "
    "default for every model option, and each layer whose name and shapes match is copied (e.g. "
    "--init-from IMPORTED --decoder: backbone, ASPP and logits copied, decoder new).",
)
@click.option(
    "--distill-from",
    "teacher",
    metavar="MODEL[:weight=W]",
    multiple=True,
    help="A teacher to distil from, repeatable: a model folder or preset:NAME with the same classes "
    "(its per-pixel probabilities; Learning without Forgetting when it is the --init-from model), "
    "or a .tflite / peer:NAME (e.g. peer:coral-voc, peer:mediapipe-selfie) whose person probability "
    "against everything else the student matches. :weight=W overrides --distill-weight for it.",
)
@click.option(
    "--distill-weight", type=float, help=with_default("Weight of the --distill-from term.", TRAIN, "distill_weight")
)
@click.option(
    "--distill-refine",
    type=click.Choice(["none", "crf"]),
    help="crf: refine each TFLite teacher's person probability with a dense CRF over the training crop "
    "(DeepLab v1/v2) before the student learns it; needs the crf extra.  [default: none]",
)
@config_options
@click.option("--epochs", type=int, help=with_default("Passes over the training data.", TRAIN, "epochs"))
@click.option("--batch-size", type=int, help=with_default("Global batch size.", TRAIN, "batch_size"))
@click.option("--optimizer", type=click.Choice(["sgd", "adamw"]), help=with_default(OPTIMIZER_HELP, TRAIN, "optimizer"))
@click.option(
    "--learning-rate", type=float, help=with_default("Base rate of the poly schedule.", TRAIN, "learning_rate")
)
@click.option("--poly-power", type=float, help=with_default("Exponent of the poly schedule.", TRAIN, "poly_power"))
@click.option(
    "--warmup-epochs", type=float, help=with_default("Linear warm-up before poly decay.", TRAIN, "warmup_epochs")
)
@click.option(
    "--weight-decay",
    type=float,
    help="Decoupled weight decay, sparing batch norm and biases ["
    + ", ".join(f"{value:g} for {name}" for name, value in DEFAULT_WEIGHT_DECAY.items())
    + "].",
)
@click.option(
    "--loss",
    type=click.Choice(["ce", "ce+dice", "ce+lovasz"]),
    help=with_default(
        "Cross-entropy (ignoring label 255), optionally plus a Dice or Lovasz-softmax term: "
        "region losses suited to binary person masks.",
        TRAIN,
        "loss",
    ),
)
@click.option("--seed", type=int, help=with_default("Data order, augmentation and initialisation.", TRAIN, "seed"))
@click.option(
    "--strategy",
    type=click.Choice(["none", "mirrored", "multi-worker"]),
    help=with_default(
        "tf.distribute: mirrored over this machine's GPUs, multi-worker across machines (TF_CONFIG).", TRAIN, "strategy"
    ),
)
@click.option(
    "--cpu-replicas",
    type=int,
    default=0,
    help="Split the CPU into N logical devices (to try --strategy mirrored without GPUs).",
)
@click.option(
    "--checkpoint-every-steps",
    type=int,
    help=with_default("Also a checkpoint every N steps (0: each epoch only).", TRAIN, "checkpoint_every_steps"),
)
@click.option("--min-scale", type=float, help=with_default("Smallest random rescale.", TRAIN, "min_scale"))
@click.option("--max-scale", type=float, help=with_default("Largest random rescale.", TRAIN, "max_scale"))
@click.option(
    "--resize-to-input/--keep-image-size",
    "resize_to_input",
    default=None,
    help="Resize each image to the model input before random scaling, as inference does.  [default: resize]",
)
@click.option("--augment/--no-augment", default=None, help="Random scale, crop, flip and colour jitter.  [default: on]")
@click.option(
    "--augment-preset",
    type=click.Choice(sorted(AUGMENT_PRESETS)),
    help="A named set of the augmentation options below; options given explicitly win. 'world': "
    "small, cut-off and pasted people, other backgrounds, colour/blur/noise/JPEG.  [default: deeplab]",
)
@click.option(
    "--edge-crop",
    type=float,
    help=with_default("Probability of a crop whose border cuts a person.", TRAIN, "edge_crop"),
)
@click.option(
    "--copy-paste",
    type=int,
    help=with_default(
        "Paste 0..N people cut out of other training images (Simple Copy-Paste; 0: off).", TRAIN, "copy_paste"
    ),
)
@click.option(
    "--copy-paste-min-scale",
    type=float,
    help=with_default("Smallest pasted person, height / crop height.", TRAIN, "copy_paste_min_scale"),
)
@click.option(
    "--copy-paste-max-scale",
    type=float,
    help=with_default("Largest pasted person, height / crop height.", TRAIN, "copy_paste_max_scale"),
)
@click.option(
    "--copy-paste-background",
    type=float,
    help=with_default(
        "Probability of pasting onto a plain/noise/blurred-noise background instead.", TRAIN, "copy_paste_background"
    ),
)
@click.option(
    "--copy-paste-edge-blur",
    type=float,
    help=with_default("Soften pasted edges, Gaussian sigma in px (0: hard).", TRAIN, "copy_paste_edge_blur"),
)
@click.option(
    "--color-jitter",
    type=float,
    help=with_default(
        "Strength of the colour jitter, 1 = brightness 0.1, contrast, saturation 0.15, hue 0.02.", TRAIN, "color_jitter"
    ),
)
@click.option("--blur", type=float, help=with_default("Probability of a Gaussian blur, sigma 0.5-2 px.", TRAIN, "blur"))
@click.option(
    "--noise", type=float, help=with_default("Max std of Gaussian pixel noise, fraction of 255.", TRAIN, "noise")
)
@click.option("--jpeg", type=float, help=with_default("Probability of a JPEG round trip.", TRAIN, "jpeg"))
@click.option(
    "--jpeg-min-quality", type=int, help=with_default("Lowest JPEG quality of --jpeg.", TRAIN, "jpeg_min_quality")
)
@click.option(
    "--fine-tune-batch-norm/--freeze-batch-norm",
    "fine_tune_batch_norm",
    default=None,
    help="Update batch-norm statistics from each batch, or keep them fixed (needed after `model import`, "
    "whose batch norm is folded).  [default: fine-tune]",
)
@click.option(
    "--freeze-backbone/--train-backbone",
    "freeze_backbone",
    default=None,
    help=with_default("Train only ASPP, decoder and logits; MobileNet-v2 keeps its weights.", TRAIN, "freeze_backbone"),
)
@click.option("--cache", is_flag=True, default=None, help="Keep decoded images in memory after the first epoch.")
@click.option("--deterministic", is_flag=True, help="Deterministic TensorFlow ops: bit-identical reruns, slower.")
@progress_option()
def train(
    data,
    val_data,
    output,
    resume,
    labels_config,
    skip_bad_samples,
    backbone_weights,
    init_from,
    teacher,
    cpu_replicas,
    deterministic,
    progress,
    config_file,
    augment_preset,
    **options,
):
    """Train DeepLab v3+ (SGD + poly by default), checkpointing every epoch and on Ctrl-C.

    Several datasets at once: --data A --data B:labels=map.json:weight=2 (see --data).
    """

    from edge_deeplab.train.loop import train as run_training
    from edge_deeplab.train.spec import TrainSpec

    model_section, train_section, labels_from_file = _read_config_file(config_file)
    train_names = {f.name for f in dataclasses.fields(TrainConfig)}
    train_options = {k: v for k, v in options.items() if k in train_names and v is not None}
    model_options = {k: v for k, v in options.items() if k not in train_names}
    labels_config = labels_config or labels_from_file
    preset = AUGMENT_PRESETS[augment_preset] if augment_preset else {}
    train_config = TrainConfig.from_dict(
        {**train_section, **preset, **train_options}, source=str(config_file or "options")
    )
    teacher = list(teacher) if len(teacher) > 1 else teacher[0] if teacher else None
    data = list(data) if len(data) > 1 else data[0]
    val_data = None if not val_data else list(val_data) if len(val_data) > 1 else val_data[0]
    model_config = None
    if resume:
        refuse_changes_on_resume(
            output, model_section, model_options, train_section, {**preset, **train_options}, init_from, teacher, data
        )
    else:
        if init_from:
            from edge_deeplab.model.saving import read_model_json

            source = read_model_json(init_from)[0].to_dict()
            source.pop("num_classes")  # the dataset's classes decide; logits of another count start fresh
            model_section = {**source, **model_section}
        if model_options.get("num_classes") is None and "num_classes" not in model_section:
            from edge_deeplab.data.mix import open_mix

            classes = open_mix(data, "train", labels_config=labels_config, verify=False).class_names
            model_section = {**model_section, "num_classes": len(classes)}
        model_config = config_from_options(base=model_section, **model_options)
    spec = TrainSpec(
        data,
        model_config,
        train_config if not resume or train_options else None,
        val_data=val_data,
        labels_config=labels_config,
        backbone_weights=backbone_weights,
        init_from=init_from if not resume else None,
        teacher=teacher if not resume else None,
        on_error="skip" if skip_bad_samples else "raise",
        cpu_replicas=cpu_replicas,
        deterministic=deterministic,
    )
    result = run_training(spec, output, resume=resume, progress=progress, log=click.echo)
    click.echo(
        f"best val mIoU {result['best_val_miou']:.4f}; models in {Path(output) / 'best'} and {Path(output) / 'last'}"
    )
