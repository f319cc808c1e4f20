"""`edge-deeplab model summary|build`: every knob of DeepLabConfig as an option, under its paper name."""
import json

import click

from edge_deeplab.errors import EdgeDeeplabError


def _ints(text, name):
    if text is None:
        return None
    try:
        return tuple(int(v) for v in text.replace("x", ",").split(","))
    except ValueError:
        raise EdgeDeeplabError(f"{name} {text!r} is not a comma-separated list of integers, e.g. 6,12,18") from None


def config_options(command):
    """The options that describe a model; shared by every command that builds one."""
    options = [
        click.option("--config", "config_file", type=click.Path(dir_okay=False),
                     help="A JSON file of DeepLabConfig fields; options below override it."),
        click.option("--num-classes", type=int, help="Output classes, background included [2]."),
        click.option("--input-size", help="Network input, SIZE or HEIGHTxWIDTH [257]."),
        click.option("--alpha", "--depth-multiplier", "depth_multiplier", type=float,
                     help="MobileNet-v2 width multiplier, 0.35 to 1.4 [1.0]."),
        click.option("--output-stride", type=int, help="8, 16 or 32 [16]."),
        click.option("--atrous-rates", help="ASPP rates, e.g. 6,12,18 [papers' default for the stride]."),
        click.option("--multi-grid", help="Unit rates of the last stage, e.g. 1,2,4."),
        click.option("--aspp-channels", type=int, help="Width of ASPP [256]."),
        click.option("--decoder/--no-decoder", "use_decoder", default=None, help="v3+ decoder, or v3 [decoder]."),
        click.option("--decoder-channels", type=int, help="Width of the decoder [256]."),
        click.option("--batch-norm-momentum", type=float, help="Moving-average momentum of batch norm [0.9]."),
        click.option("--dropout-rate", type=float, help="Dropout after the ASPP projection [0.1]."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def config_from_options(config_file=None, base=None, **options):
    """DeepLabConfig from a JSON file (or the `base` dict), overridden by the options given."""
    from edge_deeplab.model.config import DeepLabConfig

    data = dict(base or {})
    if config_file:
        from edge_deeplab.settings import read_json_object

        loaded = read_json_object(config_file, "model config", "DeepLabConfig fields")
        section = loaded.get("config", loaded)  # also accept a saved model.json
        if not isinstance(section, dict):
            raise EdgeDeeplabError(f"model config {config_file}: 'config' must be a JSON object of DeepLabConfig "
                                   "fields")
        data.update(section)
    if options.get("input_size"):
        size = _ints(options["input_size"], "--input-size")
        options["input_size"] = size * 2 if len(size) == 1 else size
    options["atrous_rates"] = _ints(options.get("atrous_rates"), "--atrous-rates")
    options["multi_grid"] = _ints(options.get("multi_grid"), "--multi-grid")
    data.update({key: value for key, value in options.items() if value is not None})
    return DeepLabConfig.from_dict(data, source=str(config_file or "options"))


@click.group()
def model():
    """Build DeepLab v3 / v3+ MobileNet-v2 models and inspect them."""


@model.command()
@config_options
@click.option("--backbone-weights", help="'imagenet' or a Keras no-top MobileNet-v2 .h5 to load by layer name.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def summary(backbone_weights, as_json, **options):
    """Parameters, multiply-accumulates, and each stage's output shape and receptive field."""
    config = config_from_options(**options)
    from edge_deeplab.model.deeplab import build_deeplab
    from edge_deeplab.model.summary import format_summary, summarize

    built = build_deeplab(config, backbone_weights=backbone_weights)
    result = summarize(built, config)
    report = getattr(built, "backbone_report", None)
    if report is not None:
        result["backbone_weights"] = {"source": report.source, "matched": report.matched,
                                      "backbone_layers": report.backbone_layers,
                                      "unused_file_layers": report.unused_file_layers}
    if as_json:
        click.echo(json.dumps(result, indent=2))
    else:
        click.echo(format_summary(result))
        if report is not None:
            click.echo(str(report))


@model.command()
@click.argument("output", type=click.Path(file_okay=False))
@config_options
@click.option("--backbone-weights", help="'imagenet' or a Keras no-top MobileNet-v2 .h5 to load by layer name.")
@click.option("--labels", help="Comma-separated class names [background,person for 2 classes].")
def build(output, backbone_weights, labels, **options):
    """Build a model and save it as a folder (model.json + weights.h5) that later stages read."""
    config = config_from_options(**options)
    from edge_deeplab.model.deeplab import build_deeplab
    from edge_deeplab.model.saving import default_contract, save_model

    names = tuple(labels.split(",")) if labels else None
    if names is not None and len(names) != config.num_classes:
        raise EdgeDeeplabError(f"--labels names {len(names)} classes but the model has {config.num_classes}: "
                               "give one name per class")
    built = build_deeplab(config, backbone_weights=backbone_weights)
    if getattr(built, "backbone_report", None) is not None:
        click.echo(str(built.backbone_report))
    click.echo(f"saved {save_model(built, config, default_contract(config, names), output)}")
