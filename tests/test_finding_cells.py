"""A finding about one field of a row points at that field's cell (issue 21 item 8): the missing actual at
绩效指标!E…, the unexplained deduction at the 偏差原因 cell, a self-score out of its band at the self-score
cell; in the CLI and on the web."""

from __future__ import annotations

from perfrules.engine.api import check_file
from perfrules.engine.formats import layout as L
from perfrules.engine.formats.xlsx_form import write_workbook
from perfrules.engine.yamlio import load_file

from .conftest import SEED
from .servekit import DATABASES, as_unit, county, make_app, post


def column_of(field: str) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return letters[[k for k, _ in L.INDICATOR_COLUMNS].index(field)]


def test_row_findings_point_at_the_field_to_fix(tmp_path):
    path = tmp_path / "自评表.xlsx"
    path.write_bytes(write_workbook(load_file(SEED).data))
    card = check_file(path)
    by = {(f.code, f.subject): f.location for f in card.findings}
    missing = by[("E-UNSCORABLE", "2024 年底完成率")]
    assert missing.path[-1] == "actual" and missing.cell.startswith(f"{L.INDICATORS}!{column_of('actual')}")
    deducted = by[("C-DEDUCT-NO-REASON", "高质量完成")]
    assert deducted.path[-1] == "explanation" and deducted.cell.startswith(f"{L.INDICATORS}!{column_of('explanation')}")
    own = by[("W-SELF-SCORE", "服务对象满意度")]
    assert own.path[-1] == "self_score" and own.cell.startswith(f"{L.INDICATORS}!{column_of('self_score')}")
    # The same in YAML: the field's path, on the row's line.
    yaml_card = check_file(SEED)
    yaml_missing = next(f.location for f in yaml_card.findings if f.code == "E-UNSCORABLE" and f.subject == "2024 年底完成率")
    assert yaml_missing.path == ("indicators", 8, "actual") and yaml_missing.line == 110


def test_the_web_shows_the_actuals_cell(tmp_path):
    app, password = make_app(tmp_path, DATABASES[0])
    try:
        round_ = county(app, password)
        name = "甲单位"
        entry = round_.units[name]["entry_id"]
        unit = as_unit(round_, name)
        xlsx = write_workbook({**load_file(SEED).data, "unit": name})
        assert post(unit, f"/entries/{entry}/upload", files={"file": ("自评表.xlsx", xlsx)}).status_code == 302
        page = unit.get(f"/entries/{entry}").text
        cell = f"{L.INDICATORS}!{column_of('actual')}11"
        assert cell in page
    finally:
        app.extensions["perfrules"]["engine"].dispose()
