"""`edge-deeplab model summary|build`: every knob of DeepLabConfig as an option, under its paper name."""

from pathlib import Path

import click

from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.model.config import DeepLabConfig
from edge_deeplab.options import example, json_option, with_default

#: Every model option's default, shown in --help from DeepLabConfig (the one place they are set).
MODEL = DeepLabConfig()


def _ints(text, name):
    if text is None:
        return None
    if name == "--atrous-rates" and text.strip().lower() in ("", "none"):
        return ()  # no atrous branch: image pooling and the 1x1 branch only
    try:
        return tuple(int(v) for v in text.replace("x", ",").split(","))
    except ValueError:
        raise EdgeDeeplabError(f"{name} {text!r} is not a comma-separated list of integers, e.g. 6,12,18") from None


def config_options(command=None, *, defaults: DeepLabConfig = MODEL):
    """The options that describe a model; shared by every command that builds one. Their help shows the
    fields of `defaults` (`@config_options(defaults=...)` where a verb starts from another model)."""
    if command is None:
        return lambda command: config_options(command, defaults=defaults)
    MODEL = defaults  # noqa: N806 (the help texts below read the defaults from here)
    options = [
        click.option(
            "--config",
            "config_file",
            type=click.Path(dir_okay=False),
            help="A JSON file of DeepLabConfig fields; options below override it.",
        ),
        click.option(
            "--num-classes", type=int, help=with_default("Output classes, background included.", MODEL, "num_classes")
        ),
        click.option(
            "--input-size",
            help=f"Network input, SIZE or HEIGHTxWIDTH.  [default: {'x'.join(map(str, MODEL.input_size))}]",
        ),
        click.option(
            "--alpha",
            "--depth-multiplier",
            "depth_multiplier",
            type=float,
            help=with_default("MobileNet-v2 width multiplier, 0.35 to 1.4.", MODEL, "depth_multiplier"),
        ),
        click.option("--output-stride", type=int, help=with_default("8, 16 or 32.", MODEL, "output_stride")),
        click.option(
            "--aspp-version",
            type=click.Choice(("v3", "v2")),
            help="ASPP form: v3 (image pooling, separable branches, batch norm) or v2 (3x3 atrous convs "
            f"to logits, summed; needs --no-decoder) [{MODEL.aspp_version}].",
        ),
        click.option(
            "--atrous-rates",
            help="ASPP rates, e.g. 6,12,18, or 'none' for no atrous branch "
            "  [default: the paper's rates for the stride]",
        ),
        click.option("--multi-grid", help="Unit rates of the last stage, e.g. 1,2,4."),
        click.option("--aspp-channels", type=int, help=with_default("Width of ASPP.", MODEL, "aspp_channels")),
        click.option(
            "--decoder/--no-decoder",
            "use_decoder",
            default=None,
            help=f"v3+ decoder, or v3.  [default: {'decoder' if MODEL.use_decoder else 'no-decoder'}]",
        ),
        click.option(
            "--encoder-logits/--no-encoder-logits",
            "encoder_logits",
            default=None,
            help="With --decoder: add the decoder's logits (starting at zero) to the encoder's own "
            "(FCN score fusion), so an imported v3 head keeps what it knew."
            "  [default: no-encoder-logits]",
        ),
        click.option(
            "--decoder-channels", type=int, help=with_default("Width of the decoder.", MODEL, "decoder_channels")
        ),
        click.option(
            "--batch-norm-momentum",
            type=float,
            help=with_default("Moving-average momentum of batch norm.", MODEL, "batch_norm_momentum"),
        ),
        click.option(
            "--dropout-rate", type=float, help=with_default("Dropout after the ASPP projection.", MODEL, "dropout_rate")
        ),
        click.option(
            "--align-corners/--half-pixel-centers",
            "align_corners",
            default=None,
            help="Bilinear upsampling convention: TF-DeepLab's align_corners, or half-pixel centres."
            "  [default: half-pixel centres]",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def config_from_options(config_file=None, base=None, **options):
    """DeepLabConfig from a JSON file (or the `base` dict), overridden by the options given."""
    data = dict(base or {})
    if config_file:
        from edge_deeplab.settings import read_json_object

        loaded = read_json_object(config_file, "model config", "DeepLabConfig fields")
        section = loaded.get("config", loaded)  # also accept a saved model.json
        if not isinstance(section, dict):
            raise EdgeDeeplabError(
                f"model config {config_file}: 'config' must be a JSON object of DeepLabConfig fields"
            )
        data.update(section)
    if options.get("input_size"):
        size = _ints(options["input_size"], "--input-size")
        options["input_size"] = size * 2 if len(size) == 1 else size
    options["atrous_rates"] = _ints(options.get("atrous_rates"), "--atrous-rates")
    options["multi_grid"] = _ints(options.get("multi_grid"), "--multi-grid")
    data.update({key: value for key, value in options.items() if value is not None})
    return DeepLabConfig.from_dict(data, source=str(config_file or "options"))


@click.group(short_help="Build, import and inspect models.")
def model():
    """Build DeepLab v3 / v3+ MobileNet-v2 models and inspect them."""


@model.command(
    short_help="Parameters, MACs and receptive fields.",
    epilog=example("edge-deeplab model summary --alpha 0.35 --aspp-channels 64 --decoder-channels 64"),
)
@config_options
@click.option("--backbone-weights", help="'imagenet' or a Keras no-top MobileNet-v2 .h5 to load by layer name.")
@json_option("Also write the summary as JSON to this file.")
def summary(backbone_weights, json_path, **options):
    """Parameters, multiply-accumulates, and each stage's output shape and receptive field."""
    config = config_from_options(**options)
    from edge_deeplab.model.deeplab import build_deeplab
    from edge_deeplab.model.summary import format_summary, summarize

    built = build_deeplab(config, backbone_weights=backbone_weights)
    result = summarize(built, config)
    report = getattr(built, "backbone_report", None)
    if report is not None:
        result["backbone_weights"] = {
            "source": report.source,
            "matched": report.matched,
            "backbone_layers": report.backbone_layers,
            "unused_file_layers": report.unused_file_layers,
        }
    if json_path:
        from edge_deeplab.io import write_json

        write_json(json_path, result)
    click.echo(format_summary(result))
    if report is not None:
        click.echo(str(report))


def _model_output(ctx, param, value):
    """A positional model folder output is checked as --output is, and more: saving replaces the folder."""
    if value is not None and not ctx.resilient_parsing:
        from edge_deeplab.model.saving import check_model_output

        check_model_output(value)
    return value


@model.command(
    short_help="Build an untrained model folder.",
    epilog=example("edge-deeplab model build runs/untrained --num-classes 2 --input-size 257 --alpha 0.5"),
)
@click.argument("output", type=click.Path(), callback=_model_output)
@config_options
@click.option("--backbone-weights", help="'imagenet' or a Keras no-top MobileNet-v2 .h5 to load by layer name.")
@click.option(
    "--labels",
    help="A labels config as `train --labels` takes it (JSON file or preset, e.g. voc-person), or comma-separated "
    "class names.  [default: background,person for 2 classes]",
)
def build(output, backbone_weights, labels, **options):
    """Build a model and save it as a folder (model.json + weights.h5) that later stages read."""
    config = config_from_options(**options)
    from edge_deeplab.model.deeplab import build_deeplab
    from edge_deeplab.model.saving import default_contract, save_model

    names = _class_names(labels) if labels else None
    if names is not None and len(names) != config.num_classes:
        raise EdgeDeeplabError(
            f"--labels names {len(names)} classes but the model has {config.num_classes}: give one name per class"
        )
    built = build_deeplab(config, backbone_weights=backbone_weights)
    if getattr(built, "backbone_report", None) is not None:
        click.echo(str(built.backbone_report))
    click.echo(f"saved {save_model(built, config, default_contract(config, names), output)}")


def _class_names(labels: str) -> tuple:
    """The class names of --labels: a labels config (a preset or a JSON file, as train reads it) or a
    comma-separated list of names."""
    from edge_deeplab.data.labels import PRESETS, load_labels_config

    if labels in PRESETS or labels.endswith(".json") or Path(labels).is_file():
        return load_labels_config(labels).classes
    return tuple(labels.split(","))


@model.command(
    short_help="Import Google's DeepLab v3 .tflite.",
    name="import",
    epilog=example(
        "edge-deeplab model import ../shared/peers/deeplabv3-mnv2-dm05-voc/deeplabv3_257.tflite runs/imported"
    ),
)
@click.argument("tflite", type=click.Path(dir_okay=False))
@click.argument("output", type=click.Path(), callback=_model_output)
@click.option("--classes", help="Source classes to keep, in order, e.g. background,person.  [default: all]")
@click.option(
    "--labels",
    "labels_file",
    help="A labels config (JSON file or preset, e.g. voc-person) naming the "
    "classes to keep and the source class of each.",
)
@click.option("--input-size", help="Network input, SIZE or HEIGHTxWIDTH [the file's, e.g. 513 for Coral's].")
def import_(tflite, output, classes, labels_file, input_size):
    """Import Google's TF-DeepLab v3 MobileNet-v2 .tflite (TF-slim names, folded batch norm; float32, or uint8
    weights dequantized as in Coral's file) as a model folder.

    The structure is read from the file (width, output stride, ASPP, resize convention) and every
    convolution is checked against our builder; anything it cannot express exactly is refused.
    """
    from edge_deeplab.model.import_tflite import import_tflite

    names = tuple(c for c in classes.split(",") if c.strip()) if classes else None
    size = _ints(input_size, "--input-size")
    size = size * 2 if size is not None and len(size) == 1 else size
    _, _, contract, report = import_tflite(tflite, output, classes=names, labels=labels_file, input_size=size)
    click.echo(str(report))
    # The normalisation read from the file (float DLv3: 127.5; Coral's uint8 input: 128): say which one.
    click.echo(
        f"saved {output} (labels {', '.join(contract.labels)}; input {contract.input_height}x"
        f"{contract.input_width} normalised (x - {contract.mean[0]:g}) / {contract.std[0]:g})"
    )
