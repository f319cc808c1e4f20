"""The package's shape: imports follow the data flow, and --help never loads TensorFlow."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
HELPS = [
    [],
    ["model"],
    ["model", "build"],
    ["model", "summary"],
    ["train"],
    ["qat"],
    ["export"],
    ["gpu-check"],
    ["quant-report"],
    ["evaluate"],
    ["bench"],
    ["bench", "host"],
    ["bench", "device"],
    ["bench", "devices"],
    ["bench", "history"],
    ["export-android"],
    ["pipeline"],
    ["predict"],
    ["doctor"],
]


def test_imports_follow_the_data_flow():
    """pyproject.toml's import-linter layers contract (base -> data -> model -> ... -> cli)."""
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint)], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-1000:]


def test_converters_is_only_a_subpackage():
    done = subprocess.run([sys.executable, "-c", "import converters"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode != 0 and "edge_deeplab.converters" in done.stderr
    done = subprocess.run(
        [sys.executable, "-c", "import edge_deeplab.converters.export, edge_deeplab.calibration"],
        cwd="/",
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("words", HELPS, ids=lambda words: " ".join(words) or "edge-deeplab")
def test_help_loads_no_tensorflow(words):
    script = (
        "import sys\nfrom click.testing import CliRunner\nfrom edge_deeplab.cli import main\n"
        f"result = CliRunner().invoke(main, {words + ['--help']!r})\n"
        "assert result.exit_code == 0, result.output\n"
        "print('Usage:' in result.output, 'tensorflow' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd="/", capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["True", "False"], f"{' '.join(words)} --help imported TensorFlow"


def _verbs(group, words=()):
    import click

    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _verbs(command, words + (name,))
        else:
            yield words + (name,), command


def test_every_verb_shows_an_example_and_helps_every_option():
    import click
    from click.testing import CliRunner

    from edge_deeplab.cli import main

    for words, command in _verbs(main):
        result = CliRunner().invoke(main, [*words, "--help"])
        assert "Example:\n    edge-deeplab " + " ".join(words) in result.output, " ".join(words)
        silent = [p.opts[0] for p in command.params if isinstance(p, click.Option) and not p.help]
        assert not silent, f"{' '.join(words)}: no help text for {silent}"
        # Defaults are spelled one way, click's "[default: X]", never a bare "[X]" ending the help text.
        options = result.output.split("Options:")[-1]
        bare = [
            b
            for b in re.findall(r"(?<=\s)\[([^\]|]+)\]\s*$", options, flags=re.MULTILINE)
            if not b.startswith(("default:", "required"))
        ]
        assert not bare, f"{' '.join(words)}: defaults shown as [X]: {bare}"


def test_command_lists_are_whole_sentences_not_cut():
    """Every group's command list shows each verb's own short help, never click's "..." cut (issue 19)."""
    import click
    from click.testing import CliRunner

    from edge_deeplab.cli import main

    groups = [()] + [words for words, command in _groups(main)]
    for words in groups:
        output = CliRunner().invoke(main, [*words, "--help"], terminal_width=80).output
        listed = output.split("Commands:")[-1].strip().splitlines()
        assert listed and not [line for line in listed if line.rstrip().endswith("...")], (words, listed)
    assert all(isinstance(c, click.Group) or c.short_help for _, c in _verbs(main))


def _groups(group, words=()):
    import click

    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield words + (name,), command
            yield from _groups(command, words + (name,))


def test_no_module_imports_itself_through_others():
    """No import circle, module by module (imports inside functions too): pyproject.toml's acyclic_siblings
    contract sees circles between packages, this one every circle of modules."""
    import grimp

    graph = grimp.build_graph("edge_deeplab")
    circles = sorted(
        (module, imported)
        for module in graph.modules
        for imported in graph.find_modules_directly_imported_by(module)
        if graph.chain_exists(importer=imported, imported=module)
    )
    assert not circles, f"{circles[0][0]} imports {circles[0][1]}, which imports it back: " + " -> ".join(
        graph.find_shortest_chain(importer=circles[0][1], imported=circles[0][0])
    )


def test_no_function_is_over_80_lines():
    import ast

    long = set()
    for folder in ("edge_deeplab", "converters", "calibration"):
        for path in sorted((REPO / folder).rglob("*.py")):
            if folder == "edge_deeplab" and path.relative_to(REPO / folder).parts[0] in ("converters", "calibration"):
                continue  # links to the root folders, read there
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno >= 80:
                    long.add(f"{path.relative_to(REPO)}:{node.name}")
    assert not long, f"over 80 lines: {sorted(long)}"
