"""What `perfrules import` says about a report it read (issue 23): where each value came from, and every
cell with text that it did not read, so that nothing is dropped silently; and the same locations in the
findings when a Word, PDF or Excel file is scored directly."""

from __future__ import annotations

from click.testing import CliRunner

from perfrules.cli import main
from perfrules.engine.api import score_file
from perfrules.engine.formats.docx_import import import_document
from perfrules.engine.yamlio import load_file

from .layouts import build


def _layout(name: str, tables: list) -> None:
    build.LAYOUTS[name] = {"title": "某县水利局2024年度部门整体支出绩效自评报告", "tables": tables}


BUDGET = [["资金项目", "全年预算数（万元）", "全年执行数（万元）", "分值", "执行率", "得分"],
          ["年度资金总额", "100", "95", "10", "95%", "9.5"]]


def test_a_column_nobody_knows_is_named_cell_by_cell(tmp_path):
    """A 联系人 column is in no vocabulary: each of its cells is listed as unread with where it stands, and
    the import still exits 0 (nothing the rule needs is missing)."""
    _layout("extra-column", [BUDGET, [
        ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "联系人"],
        ["产出指标", "数量指标", "水库巡查次数", "≥12 次", "12 次", "90", "90", "赵六"],
    ]])
    try:
        path = build.build_docx("extra-column", tmp_path)
    finally:
        del build.LAYOUTS["extra-column"]
    result = import_document(path, path.name)
    assert result.unread == ["表 2：R1C8“联系人”、R2C8“赵六”"]
    out = tmp_path / "a.yaml"
    run = CliRunner().invoke(main, ["import", str(path), "-o", str(out)])
    assert run.exit_code == 0, run.output
    assert "未读" in run.output and "R2C8“赵六”" in run.output
    text = out.read_text(encoding="utf-8")
    assert "#   - 表 2：R1C8“联系人”、R2C8“赵六”" in text
    assert "{level1: 产出指标" in text and "# 表2!R2C1–C7" in text   # the row's cells at the end of its line
    assert load_file(out).data["indicators"][0]["actual"] == "12 次"


def test_findings_on_a_scored_word_file_point_at_the_table_cell(tmp_path):
    """`perfrules score 报告.docx`: a finding about an indicator names the file, the table and the cell."""
    _layout("finding-cell", [BUDGET, [
        ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分"],
        ["产出指标", "数量指标", "水库巡查次数", "≥12 次", "10 次", "90", "90"],   # self-score 90, the rule gives less
    ]])
    try:
        path = build.build_docx("finding-cell", tmp_path)
    finally:
        del build.LAYOUTS["finding-cell"]
    card = score_file(path, "cn/unit-overall@2024.1")
    cells = {f.code: f.location.cell for f in card.findings if f.location is not None and f.location.cell}
    assert cells.get("W-SELF-SCORE", "").startswith("表2!R2C"), cells
    assert f"{path.name}!表2!R2C" in str(next(f.location for f in card.findings if f.code == "W-SELF-SCORE"))


def test_an_excel_form_in_a_published_layout_is_imported_and_scored(tmp_path):
    """A 项目支出绩效自评表 kept in Excel (not perfrules' own form) goes through `import` with cells named as
    Excel names them, and `score` reads it the same way."""
    path = build.build_xlsx("mof2020-project", tmp_path)
    out = tmp_path / "a.yaml"
    run = CliRunner().invoke(main, ["import", str(path), "-o", str(out)])
    assert run.exit_code == 0, run.output
    text = out.read_text(encoding="utf-8")
    assert "# 自评表!B3" in text and "上年结转资金" in text
    card = score_file(path)
    assert card.total == score_file(out).total
