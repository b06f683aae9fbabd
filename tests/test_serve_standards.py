"""评分标准 on the web (issue 24 item 5), through Flask's test client on SQLite and PostgreSQL: upload a new
version as a workbook, see its check findings at their cells, its test cases, its diff against the round's
version and the round replayed under it; publish only when confirmed, audited, earlier scorings kept; a
unit reads its round's standard and downloads its workbook, and cannot reach the bureau's pages."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from .servekit import DATABASES, as_bureau, as_unit, clean_for, county, make_app, post


@pytest.fixture(params=DATABASES)
def round_(request, tmp_path):
    app, password = make_app(tmp_path, request.param)
    yield county(app, password)
    app.extensions["perfrules"]["engine"].dispose()


def _workbook(tmp_path, edits: dict[str, dict[str, object]], version: str = "2026.1") -> bytes:
    """A county's new standard as `rulesets new` gives it, edited as a bureau would in Excel."""
    from click.testing import CliRunner

    from perfrules.cli import main
    book = tmp_path / "新标准.xlsx"
    run = CliRunner().invoke(main, ["rulesets", "new", "--extends", "cn/unit-overall@2024.1", "--id",
                                    "shaanxi/web-test", "--version", version, "-o", str(book), "--force"])
    assert run.exit_code == 0, run.output
    wb = load_workbook(book)
    for sheet, cells in edits.items():
        ws = wb[sheet]
        for label, value in cells.items():   # a row by its 名称 (指标体系) or 项目 (说明): its value cell
            col_name, col_value = (3, 5) if sheet == "指标体系" else (1, 2)
            row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, col_name).value == label)
            ws.cell(row, col_value).value = value
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _upload(client, name: str, data: bytes):
    return post(client, "/standards", files={"file": (name, data)})


def test_upload_preview_publish_keeps_earlier_scorings(round_, tmp_path):
    from perfrules.web.db import Audit, Round, Scoring
    unit = as_unit(round_, "甲单位")
    assert post(unit, f"/entries/{round_.units['甲单位']['entry_id']}/upload",
                files={"file": ("甲.yaml", clean_for("甲单位"))}).status_code == 302
    bureau = as_bureau(round_)
    resp = _upload(bureau, "新标准.xlsx", _workbook(tmp_path, {"指标体系": {"产出指标": 40, "效益指标": 40}}))
    assert resp.status_code == 302, resp.text
    page = bureau.get(resp.headers["Location"])
    assert page.status_code == 200
    html = page.text
    assert "shaanxi/web-test@2026.1" in html and "草稿" in html and "通过 rulesets check" in html
    assert "产出指标" in html and "预算执行率 = 全年执行数" in html               # the rule in words
    assert 'id="diff"' in html and "40" in html                                    # against the round's version
    assert "按新标准评分 1 份" in html and "甲单位" in html                         # the round replayed
    session = round_.app.extensions["perfrules"]["Session"]()
    before = session.scalars(select(Scoring)).all()
    assert len(before) == 1
    sid = resp.headers["Location"].rstrip("/").split("/")[-1]
    refused = post(bureau, f"/standards/{sid}/publish", {"round": str(round_.round_id)})
    assert refused.status_code == 400 and "请先确认" in refused.text
    assert session.get(Round, round_.round_id).ruleset_ref == "cn/unit-overall@2024.1"
    done = post(bureau, f"/standards/{sid}/publish", {"round": str(round_.round_id), "confirm": "yes"})
    assert done.status_code == 302
    session.close()
    session = round_.app.extensions["perfrules"]["Session"]()
    assert session.get(Round, round_.round_id).ruleset_ref == "shaanxi/web-test@2026.1"
    scorings = session.scalars(select(Scoring).order_by(Scoring.id)).all()
    assert [s.ruleset_ref for s in scorings] == ["cn/unit-overall@2024.1", "shaanxi/web-test@2026.1"]   # kept beside
    assert any(a.action == "publish" and "原为 cn/unit-overall@2024.1" in a.detail for a in session.scalars(select(Audit)))
    session.close()
    assert "shaanxi/web-test@2026.1" in bureau.get(f"/rounds/{round_.round_id}").text


def test_a_workbook_that_fails_check_is_refused_at_its_cell_and_not_stored(round_, tmp_path):
    from perfrules.web.db import Standard
    bureau = as_bureau(round_)
    resp = _upload(bureau, "坏标准.xlsx", _workbook(tmp_path, {"指标体系": {"产出指标": "五十"}}))
    assert resp.status_code == 400
    assert "坏标准.xlsx!指标体系!E" in resp.text and "应填数字" in resp.text and "未保存" in resp.text
    session = round_.app.extensions["perfrules"]["Session"]()
    assert session.scalars(select(Standard)).all() == []
    session.close()


def test_a_version_is_never_replaced(round_, tmp_path):
    bureau = as_bureau(round_)
    data = _workbook(tmp_path, {})
    assert _upload(bureau, "a.xlsx", data).status_code == 302
    again = _upload(bureau, "b.xlsx", data)
    assert again.status_code == 409 and "已存在" in again.text
    shipped = _upload(bureau, "c.xlsx", _workbook(tmp_path, {"说明": {"规则集编号": "cn/unit-overall", "版本": "2024.1",
                                                                     "继承": None}}))
    assert shipped.status_code == 409


def test_a_unit_reads_its_rounds_standard_and_nothing_of_the_bureaus(round_):
    unit = as_unit(round_, "甲单位")
    page = unit.get(f"/rounds/{round_.round_id}/standard")
    assert page.status_code == 200
    assert "cn/unit-overall@2024.1" in page.text and "预算执行率 = 全年执行数" in page.text and "核对规则" in page.text
    book = unit.get(f"/rounds/{round_.round_id}/standard.xlsx")
    assert book.status_code == 200 and book.data[:2] == b"PK"
    assert load_workbook(io.BytesIO(book.data))["说明"]["B3"].value == "cn/unit-overall"
    assert unit.get("/standards").status_code == 403
    other = county(round_.app, round_.admin, names=("丁单位",))   # a round 甲 takes no part in
    assert unit.get(f"/rounds/{other.round_id}/standard").status_code == 404
    assert unit.get(f"/rounds/{other.round_id}/standard.xlsx").status_code == 404
