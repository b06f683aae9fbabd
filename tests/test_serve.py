"""perfrules serve through Flask's test client, on SQLite and (when PERFRULES_TEST_PG_URL is set, as .ci/run
sets it) on PostgreSQL: a round's whole path for both roles, the records it keeps, and its security."""

from __future__ import annotations

import io
import json
import re
import shutil
import zipfile

import pytest
from markupsafe import escape
from sqlalchemy import select

from perfrules.engine.api import check_file
from perfrules.engine.methods import fmt

from .servekit import (DATABASES, ROUND_RULESET, as_bureau, as_unit, clean_for, county, login, make_app, post,
                       seed_for)


@pytest.fixture(params=DATABASES)
def app_admin(request, tmp_path):
    app, password = make_app(tmp_path, request.param)
    yield app, password
    app.extensions["perfrules"]["engine"].dispose()


@pytest.fixture
def round_(app_admin):
    app, password = app_admin
    return county(app, password)


def _records(app, model):
    session = app.extensions["perfrules"]["Session"]()
    try:
        return session.scalars(select(model)).all()
    finally:
        session.close()


def _upload(client, entry_id: int, name: str, data: bytes):
    return post(client, f"/entries/{entry_id}/upload", files={"file": (name, data)})


# ------------------------------------------------------------------------------------------ accounts

def test_first_start_makes_one_bureau_account_once(app_admin):
    from perfrules.web.app import ensure_first_account
    app, password = app_admin
    assert password and len(password) >= 12
    assert ensure_first_account(app) is None          # never a second time, never printed again
    c = app.test_client()
    login(c, "admin", password)
    assert c.get("/rounds").status_code == 200


def test_wrong_password_then_throttled(app_admin):
    app, password = app_admin
    c = app.test_client()
    for _ in range(5):
        login(c, "admin", "wrong-password", expect=401)
    resp = login(c, "admin", password, expect=429)   # even the right password waits out the window
    assert "次数过多" in resp.text
    other = app.test_client()
    login(other, "nobody", "x", expect=401)          # another account is not locked by admin's failures


def test_session_cookie_is_signed_httponly_samesite(app_admin):
    app, password = app_admin
    c = app.test_client()
    resp = login(c, "admin", password)
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    value = re.search(r"perfrules_session=([^;]+)", cookie).group(1)
    tampered = value[:-2] + ("AA" if not value.endswith("AA") else "BB")
    c2 = app.test_client()
    c2.set_cookie("perfrules_session", tampered)
    assert c2.get("/rounds").status_code == 403


def test_logout_ends_every_session_of_the_account(app_admin):
    app, password = app_admin
    a, b = app.test_client(), app.test_client()
    login(a, "admin", password)
    login(b, "admin", password)
    stolen = a.get_cookie("perfrules_session").value
    assert post(a, "/logout").status_code == 302
    assert b.get("/rounds").status_code == 403
    c = app.test_client()
    c.set_cookie("perfrules_session", stolen)         # a copied cookie is dead after logout too
    assert c.get("/rounds").status_code == 403


def test_every_post_needs_the_csrf_token(round_):
    c = as_bureau(round_)
    resp = c.post("/rounds", data={"title": "x", "year": "2024", "ruleset": ROUND_RULESET})
    assert resp.status_code == 400 and "表单已过期" in resp.text
    resp = c.post("/rounds", data={"title": "x", "year": "2024", "ruleset": ROUND_RULESET, "csrf": "forged"})
    assert resp.status_code == 400
    unit = as_unit(round_, "甲单位")
    entry = round_.units["甲单位"]["entry_id"]
    resp = unit.post(f"/entries/{entry}/upload", data={"file": (io.BytesIO(seed_for("甲单位")), "a.yaml")},
                     content_type="multipart/form-data")
    assert resp.status_code == 400
    assert not _records(round_.app, __import__("perfrules.web.db", fromlist=["Upload"]).Upload)


def test_security_headers_on_every_page(round_):
    c = as_bureau(round_)
    for path in ("/login", "/rounds", f"/rounds/{round_.round_id}", "/audit"):
        resp = c.get(path)
        csp = resp.headers["Content-Security-Policy"]
        assert "script-src" not in csp and "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["X-Frame-Options"] == "DENY"
        assert "<script" not in resp.text           # the server's own pages need no JavaScript


# ------------------------------------------------------------------------------------------ the round's path

def test_unit_path_and_bureau_decisions(round_):
    from perfrules.web.db import Audit, Entry
    name = "甲单位"
    entry = round_.units[name]["entry_id"]
    unit = as_unit(round_, name)
    assert unit.get("/").headers["Location"].endswith("/my")
    assert "未填报" in unit.get("/my").text

    # The form for the round: an xlsx with the unit's name, the year and the ruleset filled in.
    form = unit.get(f"/entries/{entry}/form")
    assert form.status_code == 200 and form.data[:2] == b"PK"
    from openpyxl import load_workbook
    wb = load_workbook(io.BytesIO(form.data))
    values = {str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None}
    assert name in values and "2024" in values and ROUND_RULESET in values

    # A file that cannot be read: the reason and its place, at once; it cannot be submitted.
    broken = seed_for(name).replace(b"year: 2024", b"year: twenty", 1)
    assert _upload(unit, entry, "自评.yaml", broken).status_code == 302
    page = unit.get(f"/entries/{entry}").text
    assert "有错误" in page and "文件无法评分" in page and "自评.yaml" in page
    assert post(unit, f"/entries/{entry}/submit").status_code == 409

    # The example as the seed has it: scored as the CLI scores it, to the digit, with every finding and
    # its place, the unit's own scores beside the rule's; its errors block submitting.
    seed = seed_for(name)
    assert _upload(unit, entry, "自评.yaml", seed).status_code == 302
    page = unit.get(f"/entries/{entry}").text
    cli = _cli_card(seed, ROUND_RULESET)
    assert f'<b id="total">{fmt(cli.total)}</b>' in page and f'<b id="grade">{cli.grade}</b>' in page
    for finding in cli.findings:
        assert finding.code in page and str(escape(finding.message)) in page
    assert "C-DATE-SIGNATURE" in page and "单位自评" in page
    assert "有错误" in page and post(unit, f"/entries/{entry}/submit").status_code == 409

    # Fixed: no errors left, ready to submit; every version kept, the latest counts.
    good = clean_for(name)
    assert _upload(unit, entry, "自评-改.yaml", good).status_code == 302
    page = unit.get(f"/entries/{entry}").text
    assert "待送审" in page and "v3" in page and "v2" in page and "v1" in page

    # Submit; the bureau returns it with a comment; the unit sees it, uploads again, submits; reviewed.
    assert post(unit, f"/entries/{entry}/submit", {"confirm": "yes"}).status_code == 302
    assert "已送审" in unit.get(f"/entries/{entry}").text
    assert _upload(unit, entry, "again.yaml", good).status_code == 409      # no change after submitting
    bureau = as_bureau(round_)
    assert post(bureau, f"/entries/{entry}/return", {"comment": "请补充满意度调查的样本量", "confirm": "yes"}).status_code == 302
    page = unit.get(f"/entries/{entry}").text
    assert "已退回" in page and "请补充满意度调查的样本量" in page
    assert _upload(unit, entry, "自评-再改.yaml", good).status_code == 302
    assert post(unit, f"/entries/{entry}/submit", {"confirm": "yes"}).status_code == 302
    assert post(bureau, f"/entries/{entry}/review", {"confirm": "yes"}).status_code == 302
    assert "已复核" in bureau.get(f"/rounds/{round_.round_id}").text

    # Reports from the stored file: Word and PDF.
    upload_id = int(re.search(r"/uploads/(\d+)/report.docx", unit.get(f"/entries/{entry}").text).group(1))
    docx = unit.get(f"/uploads/{upload_id}/report.docx")
    assert docx.status_code == 200 and docx.data[:2] == b"PK"
    assert "attachment" in docx.headers["Content-Disposition"]

    actions = [a.action for a in _records(round_.app, Audit)]
    for action in ("login", "form", "upload", "submit", "return", "review", "report"):
        assert action in actions
    states = {e.id: e.state for e in _records(round_.app, Entry)}
    assert states[entry] == "reviewed"


def _cli_card(data: bytes, ref: str):
    import tempfile
    from pathlib import Path
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "submission.yaml"
        path.write_bytes(data)
        return check_file(path, ref)


def test_progress_counts_and_filter(round_):
    a, b = "甲单位", "乙单位"
    _upload(as_unit(round_, a), round_.units[a]["entry_id"], "a.yaml", clean_for(a))
    bureau = as_bureau(round_)
    page = bureau.get(f"/rounds/{round_.round_id}").text
    counts = dict(re.findall(r'class="s-(\w+)[^"]*">[^<]+<b>(\d+)</b>', page))
    assert counts["empty"] == "1" and counts["ready"] == "1" and counts["submitted"] == "0"
    only_empty = bureau.get(f"/rounds/{round_.round_id}?status=empty").text
    assert b in only_empty and f">{a}</a>" not in only_empty


def test_units_from_an_xlsx_list_and_password_reset(round_):
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.append(["序号", "单位名称", "地区", "联系人"])
    ws.append([1, "丙单位", "子洲县", "李四"])
    ws.append([2, "", "", ""])
    ws.append([3, "丙单位", "子洲县", "李四"])
    buf = io.BytesIO()
    wb.save(buf)
    bureau = as_bureau(round_)
    resp = post(bureau, f"/rounds/{round_.round_id}/units", files={"file": ("名单.xlsx", buf.getvalue())})
    assert resp.status_code == 200 and "丙单位" in resp.text and "重复" in resp.text
    username, password = re.search(r"<code>(dw\d+)</code></td>\s*<td><code class=\"password\">([^<]+)<", resp.text).groups()
    unit_id = int(username[2:])
    c = round_.app.test_client()
    login(c, username, password)
    # Reset: the old password and the old session stop working.
    resp = post(bureau, f"/rounds/{round_.round_id}/units/{unit_id}/password", {"confirm": "yes"})
    new = re.search(r'class="password">([^<]+)<', resp.text).group(1)
    assert c.get("/my").status_code == 403
    login(round_.app.test_client(), username, password, expect=401)
    login(round_.app.test_client(), username, new)


def test_bad_unit_list_is_a_clear_message(round_):
    bureau = as_bureau(round_)
    resp = post(bureau, f"/rounds/{round_.round_id}/units", files={"file": ("名单.csv", "名字,电话\n甲,1\n".encode())})
    assert resp.status_code == 400 and "单位名称" in resp.text
    resp = post(bureau, f"/rounds/{round_.round_id}/units", files={"file": ("名单.xlsx", b"PK\x03\x04 not a zip")})
    assert resp.status_code == 400 and "Traceback" not in resp.text


def test_closed_round_takes_no_uploads(round_):
    name = "甲单位"
    bureau = as_bureau(round_)
    assert post(bureau, f"/rounds/{round_.round_id}/close", {"confirm": "yes"}).status_code == 302
    resp = _upload(as_unit(round_, name), round_.units[name]["entry_id"], "a.yaml", seed_for(name))
    assert resp.status_code == 409 and "已结束" in resp.text


# ------------------------------------------------------------------------------------------ records

def test_scorings_are_kept_and_replay_adds_new_ones_beside(round_):
    from perfrules.web.db import Scoring
    name = "甲单位"
    unit = as_unit(round_, name)
    _upload(unit, round_.units[name]["entry_id"], "a.yaml", seed_for(name))
    before = [(s.id, s.total, s.grade, s.result, s.ruleset_ref, s.scored_at) for s in _records(round_.app, Scoring)]
    assert len(before) == 1
    s = _records(round_.app, Scoring)[0]
    from perfrules.engine import __version__
    import hashlib
    assert s.input_sha256 == hashlib.sha256(seed_for(name)).hexdigest()
    assert s.engine_version == __version__ and len(s.ruleset_sha256) == 64
    bureau = as_bureau(round_)
    resp = post(bureau, f"/rounds/{round_.round_id}/replay", {"against": "cn/budget10-free90@2024.1"})
    assert resp.status_code == 302
    page = bureau.get(resp.headers["Location"])
    assert page.status_code == 200 and "cn/budget10-free90@2024.1" in page.text and name in page.text
    assert "script-src 'sha256-" in page.headers["Content-Security-Policy"]
    after = _records(round_.app, Scoring)
    assert len(after) == 2
    assert [(s.id, s.total, s.grade, s.result, s.ruleset_ref, s.scored_at) for s in after if s.id == before[0][0]] == before
    # Replaying again scores nothing twice.
    post(bureau, f"/rounds/{round_.round_id}/replay", {"against": "cn/budget10-free90@2024.1"})
    assert len(_records(round_.app, Scoring)) == 2


def test_export_zip_and_review_page(round_):
    for name in round_.units:
        _upload(as_unit(round_, name), round_.units[name]["entry_id"], "自评.yaml", seed_for(name))
    bureau = as_bureau(round_)
    review = bureau.get(f"/rounds/{round_.round_id}/review")
    assert review.status_code == 200 and "甲单位" in review.text and "乙单位" in review.text
    assert "甲单位/v1/自评.yaml（有错误）" in review.text            # each unit's workflow status, live
    resp = bureau.get(f"/rounds/{round_.round_id}/export")
    assert resp.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(resp.data)).namelist()
    assert "县级汇总.xlsx" in names
    assert {"评价报告/甲单位.docx", "评价报告/乙单位.docx", "自评文件/甲单位-v1.yaml"} <= set(names)
    from openpyxl import load_workbook
    wb = load_workbook(io.BytesIO(zipfile.ZipFile(io.BytesIO(resp.data)).read("县级汇总.xlsx")))
    units = [row[0] for row in wb["评分汇总"].iter_rows(min_row=2, values_only=True)]
    assert sorted(units) == ["乙单位", "甲单位"]
    audit = bureau.get("/audit").text
    assert "<td>导出</td>" in audit and "<td>上传</td>" in audit


def test_upload_names_are_never_paths(round_, tmp_path):
    name = "甲单位"
    unit = as_unit(round_, name)
    entry = round_.units[name]["entry_id"]
    assert _upload(unit, entry, "../../../../tmp/evil\x00.yaml", seed_for(name)).status_code in (302, 400)
    assert _upload(unit, entry, "..\\..\\windows\\自评.yaml", seed_for(name)).status_code == 302
    page = unit.get(f"/entries/{entry}").text
    # Shown as a name, never as a path (how a client escapes a backslash in multipart varies; no separator
    # or parent reference survives either way).
    shown = re.findall(r"<td>([^<]*\.yaml)</td>", page)
    assert shown and all("/" not in n and "\\" not in n and "../" not in n for n in shown), shown
    data = round_.app.extensions["perfrules"]["data"]
    blobs = [p for p in (data / "blobs").rglob("*") if p.is_file()]
    assert all(re.fullmatch(r"[0-9a-f]{64}", p.name) for p in blobs)
    assert not (tmp_path / "tmp").exists()


def test_files_of_another_kind_are_refused_with_a_message(round_):
    name = "甲单位"
    unit = as_unit(round_, name)
    resp = _upload(unit, round_.units[name]["entry_id"], "自评.txt", b"just text")
    assert resp.status_code == 400 and ".txt" in resp.text
    resp = _upload(unit, round_.units[name]["entry_id"], "自评.pdf", b"%PDF-1.4")   # PDF is read (issue 23)
    assert resp.status_code == 302
    assert "PDF 已损坏" in unit.get(f"/entries/{round_.units[name]['entry_id']}").text
    resp = _upload(unit, round_.units[name]["entry_id"], "自评.xls", b"\xd0\xcf\x11\xe0")
    assert resp.status_code == 302
    assert "另存为 .xlsx" in unit.get(f"/entries/{round_.units[name]['entry_id']}").text


def test_internal_error_is_a_page_not_a_traceback(round_, monkeypatch):
    from perfrules.web import work

    def boom(*a, **k):
        raise RuntimeError("secret internals /etc/passwd")
    monkeypatch.setattr(work, "blank_form", boom)
    name = "甲单位"
    unit = as_unit(round_, name)
    resp = unit.get(f"/entries/{round_.units[name]['entry_id']}/form")
    assert resp.status_code == 500 and "服务器内部错误" in resp.text
    assert "Traceback" not in resp.text and "secret internals" not in resp.text and "RuntimeError" not in resp.text
    assert unit.get("/my").status_code == 200


def test_not_found_and_method_pages_are_chinese(round_):
    c = as_bureau(round_)
    assert "找不到页面" in c.get("/no/such/page").text
    assert c.get("/rounds/99999").status_code == 404
    assert c.get(f"/rounds/{round_.round_id}/close").status_code == 405


def test_json_result_keeps_exact_decimals(round_):
    from perfrules.web.db import Scoring
    name = "甲单位"
    _upload(as_unit(round_, name), round_.units[name]["entry_id"], "a.yaml", seed_for(name))
    s = _records(round_.app, Scoring)[0]
    stored = json.loads(s.result, parse_float=str)
    assert isinstance(stored["row"]["total"], (str, int)) and s.total == str(_cli_card(seed_for(name), ROUND_RULESET).total)


def test_migrations_build_exactly_the_models(tmp_path):
    """A model changed without a migration (or the reverse) fails here: the schema Alembic builds must be
    the one the code expects."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from perfrules.web.db import Base, open_database
    engine, _ = open_database(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []


def test_bureau_adds_a_reviewer_who_can_decide(round_):
    bureau = as_bureau(round_)
    resp = post(bureau, "/staff", {"username": "fuhe01", "label": "复核机构"})
    assert resp.status_code == 200
    password = re.search(r'class="password">([^<]+)<', resp.text).group(1)
    reviewer = round_.app.test_client()
    login(reviewer, "fuhe01", password)
    assert "复核机构" in reviewer.get(f"/rounds/{round_.round_id}").text
    assert post(bureau, "/staff", {"username": "fuhe01", "label": "复核机构"}).status_code == 409
    assert post(bureau, "/staff", {"username": "../x", "label": "复核机构"}).status_code == 400
    unit = as_unit(round_, "甲单位")
    assert unit.get("/staff").status_code == 403


def test_pdf_report_of_an_upload(round_):
    name = "甲单位"
    unit = as_unit(round_, name)
    _upload(unit, round_.units[name]["entry_id"], "a.yaml", clean_for(name))
    upload_id = int(re.search(r"/uploads/(\d+)/report.pdf", unit.get(f"/entries/{round_.units[name]['entry_id']}").text).group(1))
    resp = unit.get(f"/uploads/{upload_id}/report.pdf")
    assert resp.status_code == 200 and resp.data[:5] == b"%PDF-" and resp.mimetype == "application/pdf"


def test_pages_are_sandboxed_and_escaped(round_):
    from jinja2.sandbox import SandboxedEnvironment
    assert isinstance(round_.app.jinja_env, SandboxedEnvironment) and round_.app.jinja_env.autoescape
    bureau = as_bureau(round_)
    hostile = '<script>alert("x")</script>'
    assert post(bureau, f"/rounds/{round_.round_id}/units", {"name": hostile, "region": "<b>r</b>"}).status_code == 200
    page = bureau.get(f"/rounds/{round_.round_id}").text
    assert hostile not in page and "&lt;script&gt;" in page and "<b>r</b>" not in page
    review = bureau.get(f"/rounds/{round_.round_id}/review").text
    assert hostile not in review


@pytest.mark.slow
def test_scoring_in_worker_processes_gives_the_same_record(tmp_path):
    """`perfrules serve` scores in worker processes (one per core): the record and the messages are the
    ones the request thread makes, a user's error included, and reports come back whole."""
    from perfrules.web.app import create_app, ensure_first_account
    from perfrules.web.db import Scoring
    from .servekit import county as make_county
    app = create_app(tmp_path / "data", workers=1)
    try:
        c = make_county(app, ensure_first_account(app), names=("甲单位",))
        unit = as_unit(c, "甲单位")
        entry = c.units["甲单位"]["entry_id"]
        assert _upload(unit, entry, "a.yaml", clean_for("甲单位")).status_code == 302
        assert _upload(unit, entry, "b.yaml", b"unit: [").status_code == 302
        pooled = sorted((s.ok, s.total, s.result) for s in _records(app, Scoring))
        from perfrules.web import work
        direct = sorted((r["ok"], r["total"], r["result"]) for r in (
            work.score_upload(clean_for("甲单位"), ".yaml", "a.yaml", ROUND_RULESET),
            work.score_upload(b"unit: [", ".yaml", "b.yaml", ROUND_RULESET)))
        assert pooled == direct
        upload_id = int(re.search(r"/uploads/(\d+)/report.docx", unit.get(f"/entries/{entry}?version=1").text).group(1))
        assert unit.get(f"/uploads/{upload_id}/report.docx").data[:2] == b"PK"
    finally:
        app.extensions["perfrules"]["scorer"].close()
        app.extensions["perfrules"]["engine"].dispose()


def test_a_ruleset_broken_on_disk_is_said_not_a_500(round_, monkeypatch):
    from perfrules.engine.errors import Location, error
    from perfrules.web import work

    def broken(*_a, **_k):
        raise error("规则集 cn/unit-overall@2024.1 没有通过检查：分值合计不是 100", Location("rulesets/x.yaml", 7))
    monkeypatch.setattr(work, "ruleset", broken)
    name = "甲单位"
    unit = as_unit(round_, name)
    resp = _upload(unit, round_.units[name]["entry_id"], "a.yaml", clean_for(name))
    assert resp.status_code == 422 and "没有通过检查" in resp.text and "rulesets/x.yaml:7" in resp.text
    assert unit.get("/my").status_code == 200


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
@pytest.mark.parametrize("kind", ["xls", "ods"])
def test_a_workbook_saved_as_xls_or_ods_is_scored_as_its_yaml(round_, tmp_path, kind):
    """The formats units still send (issue 26): the upload form offers them, and the 自评表 saved by
    LibreOffice as .xls or .ods scores as the same submission in YAML, to the digit."""
    from perfrules.engine.formats.xlsx_form import write_workbook
    from perfrules.engine.yamlio import load_bytes

    from .conftest import soffice
    name = "甲单位"
    unit = as_unit(round_, name)
    entry = round_.units[name]["entry_id"]
    form = unit.get(f"/entries/{entry}").text
    assert f".{kind}" in form and re.search(rf'accept="[^"]*\.{kind}[,"]', form)   # named, and in the picker
    seed = seed_for(name)
    (tmp_path / "自评.xlsx").write_bytes(write_workbook(load_bytes(seed, "自评.yaml").data))
    soffice(tmp_path, kind, tmp_path / "自评.xlsx")
    assert _upload(unit, entry, f"自评.{kind}", (tmp_path / f"自评.{kind}").read_bytes()).status_code == 302
    page = unit.get(f"/entries/{entry}").text
    cli = _cli_card(seed, ROUND_RULESET)
    assert f'<b id="total">{fmt(cli.total)}</b>' in page and f'<b id="grade">{cli.grade}</b>' in page
