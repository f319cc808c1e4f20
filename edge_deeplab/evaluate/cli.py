"""`edge-deeplab evaluate --data DATASET MODEL [MODEL ...]`."""
from __future__ import annotations

import click

from edge_deeplab.errors import EdgeDeeplabError


def _scales(text: str) -> tuple:
    try:
        return tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise EdgeDeeplabError(f"--scales {text!r}: expected comma-separated numbers, e.g. 0.75,1,1.25") from None


@click.command()
@click.argument("models", nargs=-1)
@click.option("--data", "data", required=True, type=click.Path(),
              help="Dataset folder (images/, masks/, train.txt, val.txt), e.g. ../shared/data/ccp-person.")
@click.option("--split", default="val", show_default=True, help="Split to evaluate on.")
@click.option("--peers", is_flag=True, help="Also evaluate both peers (peer:deeplabv3-voc, peer:mediapipe-selfie).")
@click.option("--scales", default="1", show_default=True, help="Test-time scales, e.g. 0.75,1,1.25.")
@click.option("--flip", is_flag=True, help="Also average the left-right flipped image.")
@click.option("--threads", default=2, show_default=True, help="LiteRT CPU threads.")
@click.option("--reference", help="Model to take differences against (default: the first float model of ours).")
@click.option("--limit", type=int, help="Only the first N images (a quick look).")
@click.option("--overlays", default=3, show_default=True, help="Best and worst images shown per model in the HTML.")
@click.option("--out", "out_dir", default="reports/evaluate", show_default=True, type=click.Path(),
              help="Folder for evaluation.json, evaluation.md and evaluation.html.")
@click.option("--progress/--no-progress", default=True, show_default=True, help="Show a progress bar.")
def evaluate(models, data, split, peers, scales, flip, threads, reference, limit, overlays, out_dir, progress):
    """Score MODELS (.tflite, saved Keras models, peer:NAME[=PATH]) on a dataset: mIoU, person IoU,
    boundary F, the cost of quantization against the float model, and CPU latency."""
    from edge_deeplab import evaluate as evaluation
    from edge_deeplab.evaluate import report
    from edge_deeplab.evaluate.evaluator import EvalConfig
    from edge_deeplab.evaluate.peers import PEER_PREFIX, PEERS

    specs = list(models) + ([PEER_PREFIX + name for name in PEERS] if peers else [])
    if not specs:
        raise EdgeDeeplabError("no models given: pass .tflite files, saved Keras models, peer:NAME, or --peers")
    config = EvalConfig(scales=_scales(scales), flip=flip, overlays=overlays, limit=limit, reference=reference)
    result = evaluation.evaluate(specs, data, split=split, config=config, threads=threads, progress=progress)
    paths = report.write_reports(result, out_dir)
    click.echo(report.render_table(result.result))
    click.echo(f"report: {paths['json']}  {paths['md']}  {paths['html']}")
