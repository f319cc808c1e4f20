"""`edge-deeplab predict MODEL IMAGE... --output DIR`."""

from __future__ import annotations

import click

from edge_deeplab.evaluate.cli import crf_from_options, refine_options
from edge_deeplab.options import example, output_option, progress_option
from edge_deeplab.segment.predict import DEFAULT_BLUR  # numpy only: --help still loads no TensorFlow


@click.command(
    short_help="Segment photos, folders or videos.",
    epilog=example("edge-deeplab predict preset:person photo.jpg --output out --portrait --probability"),
)
@click.argument("model")
@click.argument("images", nargs=-1, required=True, type=click.Path())
@output_option(
    "Folder for STEM.mask.png (and STEM.person.png, STEM.portrait.jpg) of each photo.",
    default="predictions",
    show_default=True,
)
@click.option(
    "--probability", is_flag=True, help="Also write STEM.person.png: the person probability as 8-bit grey (0-255)."
)
@click.option(
    "--portrait",
    is_flag=True,
    help="Also write STEM.portrait.jpg: portrait mode, the background blurred, the person sharp.",
)
@click.option(
    "--blur",
    type=float,
    default=DEFAULT_BLUR,
    show_default=True,
    help="Portrait-mode blur: Gaussian sigma as a fraction of the photo's longer side.",
)
@click.option(
    "--smooth",
    is_flag=True,
    help="Take the photos as video frames in the order given and smooth the person mask across them "
    "(as the Android demo does).",
)
@click.option("--main-subject", is_flag=True, help="Keep only the largest person region (drop passers-by).")
@refine_options
@click.option("--threads", type=int, default=2, show_default=True, help="LiteRT CPU threads for a .tflite.")
@progress_option()
def predict(
    model, images, output, probability, portrait, blur, smooth, main_subject, refine, threads, progress, **crf_options
):
    """Segment photos with MODEL: a .tflite, a saved Keras model folder, preset:NAME or peer:NAME.

    Writes STEM.mask.png per photo: each pixel's class id (0 background, 1 person for a person model;
    scale it to see it, or ask for --probability / --portrait). From Python: edge_deeplab.predict(model, image).
    """
    from edge_deeplab.segment.predict import predict_files

    crf = crf_from_options(crf_options, refine)
    written = predict_files(
        model,
        images,
        output,
        probability=probability,
        portrait=portrait,
        blur=blur,
        threads=threads,
        refine=refine,
        crf=crf,
        smooth=smooth,
        main_subject=main_subject,
        progress=progress,
    )
    for files in written:
        click.echo("  ".join(path for kind, path in files.items() if kind != "image"))
