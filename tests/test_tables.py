"""The one table renderer: what the export, evaluate, quant-report and bench tables print."""

from edge_deeplab.tables import markdown_table, text_table


def test_a_text_table_aligns_its_columns_under_a_rule():
    table = text_table(["format", "size"], [["fp16", "1.43MB"], ["qat-int8", "0.96MB"]], right=[1])
    assert table.splitlines() == ["format      size", "--------  ------", "fp16      1.43MB", "qat-int8  0.96MB"]


def test_a_markdown_table_has_a_header_rule_and_one_line_per_row():
    assert markdown_table(["model", "mIoU %"], [["a", "80.00"]]) == "| model | mIoU % |\n|---|---|\n| a | 80.00 |"
