"""`edge-deeplab evaluate --data DATASET MODEL [MODEL ...]`."""

from __future__ import annotations

import click

from edge_deeplab.errors import EdgeDeeplabError
from edge_deeplab.evaluate.evaluator import EvalConfig
from edge_deeplab.refine import REFINEMENTS, CRFConfig
from edge_deeplab.options import example, json_option, output_option, progress_option, shown, with_default

#: The evaluation defaults, shown in --help from EvalConfig (the one place they are set).
EVAL = EvalConfig()


def _scales(text: str) -> tuple:
    try:
        return tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise EdgeDeeplabError(f"--scales {text!r}: expected comma-separated numbers, e.g. 0.75,1,1.25") from None


def refine_options(command):
    """--refine and the dense CRF's parameters under their pydensecrf names (DeepLab v2's w and sigma);
    for every verb that turns a photo into probabilities."""
    crf = EVAL.crf
    options = [
        click.option(
            "--refine",
            type=click.Choice(REFINEMENTS),
            default=EVAL.refine,
            show_default=True,
            help="Refine the probabilities on the host: crf = dense CRF over the photo (DeepLab v1/v2; "
            "about half a second per photo; needs pip install 'edge-deeplab[crf]').",
        ),
        click.option("--crf-iterations", type=int, help=with_default("CRF mean-field iterations.", crf, "iterations")),
        click.option(
            "--crf-gaussian-sxy",
            type=float,
            help=with_default("CRF smoothness kernel width in pixels (sigma_gamma).", crf, "gaussian_sxy"),
        ),
        click.option(
            "--crf-gaussian-compat",
            type=float,
            help=with_default("CRF smoothness kernel weight (w2).", crf, "gaussian_compat"),
        ),
        click.option(
            "--crf-bilateral-sxy",
            type=float,
            help=with_default("CRF appearance kernel width in pixels (sigma_alpha).", crf, "bilateral_sxy"),
        ),
        click.option(
            "--crf-bilateral-srgb",
            type=float,
            help=with_default("CRF appearance kernel colour width, 0-255 (sigma_beta).", crf, "bilateral_srgb"),
        ),
        click.option(
            "--crf-bilateral-compat",
            type=float,
            help=with_default("CRF appearance kernel weight (w1).", crf, "bilateral_compat"),
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def crf_from_options(options: dict, refine: str) -> CRFConfig:
    """Pops the --crf-* options from `options`; the CRFConfig they give (the defaults where not given)."""
    changes = {name: options.pop(f"crf_{name}") for name in CRFConfig.__dataclass_fields__}
    given = {name: value for name, value in changes.items() if value is not None}
    if given and refine != "crf":
        raise EdgeDeeplabError(f"--crf-{next(iter(given)).replace('_', '-')} has no effect without --refine crf")
    return EVAL.crf.replace(**given)


@click.command(
    short_help="Score models on a dataset (mIoU, boundary F).",
    epilog=example(
        "edge-deeplab evaluate preset:person runs/ccp/export/best_int8.tflite --data ../shared/data/ccp-person --peers"
    ),
)
@click.argument("models", nargs=-1)
@click.option(
    "--data",
    "data",
    required=True,
    type=click.Path(),
    help="Dataset folder (images/, masks/, train.txt, val.txt), e.g. ../shared/data/ccp-person.",
)
@click.option("--split", default="val", show_default=True, help="Split to evaluate on.")
@click.option("--peers", is_flag=True, help="Also evaluate both peers (peer:deeplabv3-voc, peer:mediapipe-selfie).")
@click.option("--scales", default=shown(EVAL.scales), show_default=True, help="Test-time scales, e.g. 0.75,1,1.25.")
@click.option(
    "--flip/--no-flip", default=EVAL.flip, show_default=True, help="Also average the left-right flipped image."
)
@refine_options
@click.option("--threads", default=2, show_default=True, help="LiteRT CPU threads.")
@click.option("--reference", help="Model to take differences against (default: the first float model of ours).")
@click.option("--limit", type=int, help="Only the first N images (a quick look).")
@click.option(
    "--overlays", default=EVAL.overlays, show_default=True, help="Best and worst images shown per model in the HTML."
)
@output_option(
    "Folder for evaluation.json, evaluation.md and evaluation.html.", default="reports/evaluate", show_default=True
)
@progress_option()
def evaluate(
    models,
    data,
    split,
    peers,
    scales,
    flip,
    refine,
    threads,
    reference,
    limit,
    overlays,
    output,
    progress,
    **crf_options,
):
    """Score MODELS (.tflite, saved Keras models, peer:NAME[=PATH]) on a dataset: mIoU, person IoU,
    boundary F, the cost of quantization against the float model, and CPU latency."""
    if threads < 1:  # LiteRT would refuse the model file, blaming it
        raise EdgeDeeplabError(f"--threads {threads} must be at least 1 (LiteRT CPU threads), e.g. 2")
    from edge_deeplab import evaluate as evaluation
    from edge_deeplab.evaluate import report
    from edge_deeplab.evaluate.evaluator import EvalConfig
    from edge_deeplab.peers import PEER_PREFIX, PEERS

    specs = list(models) + ([PEER_PREFIX + name for name in PEERS] if peers else [])
    if not specs:
        raise EdgeDeeplabError("no models given: pass .tflite files, saved Keras models, peer:NAME, or --peers")
    config = EvalConfig(
        scales=_scales(scales),
        flip=flip,
        refine=refine,
        crf=crf_from_options(crf_options, refine),
        overlays=overlays,
        limit=limit,
        reference=reference,
    )
    result = evaluation.evaluate(specs, data, split=split, config=config, threads=threads, progress=progress)
    paths = report.write_reports(result, output)
    click.echo(report.render_table(result.result))
    click.echo(f"report: {paths['json']}  {paths['md']}  {paths['html']}")


def _counts(text: str) -> tuple:
    try:
        counts = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise EdgeDeeplabError(f"--selective {text!r}: expected comma-separated layer counts, e.g. 0,1,3,5") from None
    if any(k < 0 for k in counts):
        raise EdgeDeeplabError(f"--selective {text!r}: layer counts must be 0 or more")
    return counts


@click.command(
    "quant-report",
    short_help="Per-layer int8 quantization damage.",
    epilog=example("edge-deeplab quant-report runs/ccp/best --data ../shared/data/ccp-person"),
)
@click.argument("model", type=click.Path())
@click.option(
    "--data",
    required=True,
    type=click.Path(),
    help="Dataset folder with masks: calibration from its train split, mIoU on --split.",
)
@click.option("--split", default="val", show_default=True, help="Split the selective models are scored on.")
@click.option(
    "--calibration-images",
    type=int,
    default=100,
    show_default=True,
    help="Representative images (train split) to calibrate int8 and run the debug model on.",
)
@click.option("--debug-images", type=int, help="Run the debug model on only the first N of them.  [default: all]")
@click.option("--top", type=int, default=10, show_default=True, help="Most damaged layers shown.")
@click.option(
    "--selective",
    default="0,1,3,5",
    show_default=True,
    help="Numbers k of most damaged layers kept in float, one model each (0 = full int8).",
)
@click.option(
    "--keep-float",
    help="Also a model with these layers in float: Keras layer names or TFLite op "
    "types, comma-separated (e.g. aspp_projection,RESIZE_BILINEAR).",
)
@click.option("--limit", type=int, help="Score on only the first N images of --split (a quick look).")
@click.option("--gpu-check", is_flag=True, help="Also compile each model with LiteRT's GPU accelerator (slow).")
@output_option("Keep the .tflite files and quant_report.json here.  [default: not kept]")
@json_option("Also write the whole result as JSON to this file.")
@progress_option()
def quant_report(
    model,
    data,
    split,
    calibration_images,
    debug_images,
    top,
    selective,
    keep_float,
    limit,
    gpu_check,
    output,
    json_path,
    progress,
):
    """Per-layer int8 quantization damage of a saved MODEL folder or preset:NAME (TensorFlow's
    QuantizationDebugger), and selective quantization: size, ops, GPU gate and mIoU with the most damaged
    layers left float."""
    from edge_deeplab.calibration.debugger import format_report
    from edge_deeplab.calibration.selective import format_selective
    from edge_deeplab.evaluate.quant_report import quant_report as run
    from edge_deeplab.presets import resolve

    if not resolve(model, "keras").exists():
        raise EdgeDeeplabError(f"{model}: model folder not found; give a folder written by `edge-deeplab train`")
    if calibration_images < 1:
        raise EdgeDeeplabError("--calibration-images must be at least 1")
    if debug_images is not None and debug_images < 1:
        raise EdgeDeeplabError("--debug-images must be at least 1")
    if top < 1:
        raise EdgeDeeplabError(f"--top {top} must be at least 1 (the most damaged layers shown)")
    if limit is not None and limit < 1:
        raise EdgeDeeplabError("--limit must be at least 1 image")
    names = [n.strip() for n in (keep_float or "").split(",") if n.strip()]
    document = run(
        model,
        data,
        split=split,
        num_calibration=calibration_images,
        top=top,
        ks=_counts(selective),
        keep_float=names,
        output_dir=output,
        debug_images=debug_images,
        limit=limit,
        gpu_check=gpu_check,
        progress=progress,
        log=lambda line: click.echo(line, err=True),
    )
    if json_path:
        from edge_deeplab.io import write_json

        write_json(json_path, document)
    click.echo(format_report(document["report"], top))
    click.echo()
    click.echo(format_selective(document["selective"]))
    if output:
        click.echo(f"models and quant_report.json in {output}")
    if json_path:
        click.echo(f"JSON: {json_path}")


@click.command(
    "relabel",
    short_help="Ignore the bystanders a dataset calls background.",
    epilog=example(
        "edge-deeplab relabel --data ../shared/data/ccp-person --teacher preset:person --output runs/relabelled"
    ),
)
@click.option(
    "--data",
    required=True,
    type=click.Path(),
    help="An images/ + masks/ dataset whose labels mark only some people, e.g. ../shared/data/ccp-person.",
)
@click.option(
    "--teacher",
    default="peer:deeplabv3-voc",
    show_default=True,
    help="The model whose person predictions dispute the masks (peer:NAME, .tflite or model folder).",
)
@click.option(
    "--threshold", default=0.5, show_default=True, help="Teacher person probability that disputes a background pixel."
)
@output_option("Folder for the relabelled dataset (images linked, masks rewritten, relabel.json).", required=True)
@progress_option()
def relabel(data, teacher, threshold, output, progress):
    """Ignore (255) the training pixels a dataset calls background where the teacher sees a person
    (bystanders in a main-subject dataset); the val split keeps its masks."""
    from edge_deeplab.evaluate.relabel import ignore_disputed
    from edge_deeplab.progress import progress_bar

    with progress_bar(desc="relabel", unit="image", enabled=progress) as bar:
        manifest = ignore_disputed(data, teacher, output, threshold, progress=lambda done, total: bar.update(1))
    click.echo(
        f"{manifest['images']} training masks relabelled: {100 * manifest['ignored_fraction']:.2f} % of "
        f"labelled pixels now ignored; dataset in {output}"
    )
