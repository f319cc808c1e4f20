"""The one table renderer: plain text for a terminal, Markdown for a report file. Every verb that prints
a table (export, evaluate, quant-report, bench) renders it here, as ultralytics prints its benchmark."""

from __future__ import annotations

from collections.abc import Collection, Sequence


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]], right: Collection[int] = ()) -> str:
    """Columns two spaces apart, a dashed rule under the header.

    Args:
        header: the column headings.
        rows: the cells, already text, one list per row.
        right: indices of the columns aligned right (numbers); the rest align left.
    """
    table = [list(header)] + [list(row) for row in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]

    def line(cells):
        return "  ".join(
            text.rjust(width) if i in right else text.ljust(width) for i, (text, width) in enumerate(zip(cells, widths))
        ).rstrip()

    lines = [line(cells) for cells in table]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub-flavoured Markdown table.

    Args:
        header: the column headings.
        rows: the cells, already text, one list per row.
    """
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])
