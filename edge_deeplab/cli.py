"""The `edge-deeplab` command: one verb per stage of the user's work.

Each command is a thin layer over a library function a Python user can call directly.
Errors a user can cause (EdgeDeeplabError) are printed as one line, without a
traceback, and the process exits with status 1.
"""

import click

from edge_deeplab.errors import EdgeDeeplabError


class _Group(click.Group):
    """A click group that turns EdgeDeeplabError into a one-line message and exit 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except EdgeDeeplabError as error:
            raise click.ClickException(str(error)) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="edge-deeplab")
@click.option(
    "--verbose",
    is_flag=True,
    help="Keep TensorFlow's and LiteRT's native log lines (start-up, "
    "oneDNN, CUDA, XNNPACK) on stderr; by default they are hidden.",
)
def main(verbose):
    """DeepLab v3+ MobileNet-v2: train, quantize, export, evaluate, benchmark, deploy."""
    if verbose:  # before any command loads TensorFlow
        from edge_deeplab.quiet import be_verbose

        be_verbose()


def _register_commands():
    # Imported here, not at the top: each stage loads TensorFlow or LiteRT lazily inside
    # its command, so `edge-deeplab --help` stays fast.
    from edge_deeplab.model.cli import model

    main.add_command(model)
    # -- further stages register below, one line each --
    from edge_deeplab.pipeline.cli import pipeline

    main.add_command(pipeline)  # noqa: E702
    from edge_deeplab.train.cli import train

    main.add_command(train)  # noqa: E702
    from edge_deeplab.converters.cli import export, gpu_check, qat

    [main.add_command(c) for c in (qat, export, gpu_check)]  # noqa: E702,E501
    from edge_deeplab.bench.cli import bench

    main.add_command(bench)  # noqa: E702
    from edge_deeplab.evaluate.cli import evaluate, quant_report, relabel

    [main.add_command(c) for c in (evaluate, quant_report, relabel)]  # noqa: E702,E501
    from edge_deeplab.deploy.cli import export_android

    main.add_command(export_android)  # noqa: E702
    from edge_deeplab.segment.cli import predict

    main.add_command(predict)  # noqa: E702
    from edge_deeplab.doctor.cli import doctor

    main.add_command(doctor)  # noqa: E702


_register_commands()
