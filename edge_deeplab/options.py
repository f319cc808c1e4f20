"""The command line's shared vocabulary: one option name per idea, one place for each default.

Every verb spells the same idea the same way: `--output` for where results go, `--json PATH` for a
JSON copy of what the table shows, `--progress/--no-progress` for bars. Defaults are read from the
configuration dataclasses (TrainConfig, the QAT and pipeline configs, DeepLabConfig, EvalConfig, ...)
so a number is written once; the help text shows it from there. Only click is imported here:
`edge-deeplab --help` must not load TensorFlow.
"""

from __future__ import annotations

import click


def shown(value) -> str:
    """A default as a user types it: 257x257 for a size, 6,12,18 for rates, 'none' for None."""
    if value is None:
        return "none"
    if isinstance(value, (tuple, list)):
        return ",".join(shown(v) for v in value) if value else "none"
    if isinstance(value, bool):
        return "on" if value else "off"
    return f"{value:g}" if isinstance(value, float) else str(value)


def with_default(text: str, config, field: str) -> str:
    """`text` followed by the default of `field` in `config` (a dataclass instance), e.g. 'Epochs.
    [default: 20]': spelled as click's show_default spells it, so every --help shows defaults one way."""
    return f"{text}  [default: {shown(getattr(config, field))}]".strip()


#: --optimizer's help, the same in train, qat and pipeline.
OPTIMIZER_HELP = "sgd: SGD with momentum 0.9 (DeepLab's recipe); adamw: AdamW (faster on small models)."


def example(*commands: str) -> str:
    """A verb's epilog: the commands shown under 'Example:' at the end of its --help, unwrapped (click's
    \\b marker keeps each command on one line, so it can be copied)."""
    return "\b\nExample:\n" + "\n".join(f"  {command}" for command in commands)


def writable(kind: str):
    """A click callback that refuses an output path that cannot be written (edge_deeplab.io's
    check_writable_output) while the options are read: before the command starts any work."""

    def check(ctx, param, value):
        if value is not None and not ctx.resilient_parsing:
            from edge_deeplab.io import check_writable_output

            check_writable_output(value, kind)
        return value

    return check


def output_option(help: str, kind: str = "folder", **kwargs):
    """--output: the folder (or file) a verb writes its results to; checked writable before the work."""
    kwargs.setdefault("type", click.Path())  # not file_okay=False: a file there is the check's one-line error
    kwargs.setdefault("callback", writable(kind))
    return click.option("--output", help=help, **kwargs)


def json_option(help: str = "Also write the result as JSON to this file.", **kwargs):
    """--json PATH: a JSON copy of the result; the table still goes to stdout. Checked writable first."""
    kwargs.setdefault("type", click.Path())
    kwargs.setdefault("callback", writable("file"))
    return click.option("--json", "json_path", metavar="PATH", help=help, **kwargs)


def progress_option(
    help: str = "Progress bars on a terminal, one line per step in a log file; --no-progress: neither.",
):
    """--progress/--no-progress, on by default (edge_deeplab.progress picks a bar or lines)."""
    return click.option("--progress/--no-progress", default=True, show_default=True, help=help)
