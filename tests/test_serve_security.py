"""The server's boundaries: every route walked as the wrong unit and as nobody; every hostile file of the
corpus uploaded through the web, answered with the CLI's message while the server goes on answering."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from markupsafe import escape

from perfrules.engine.errors import PerfrulesError
from perfrules.engine.submission import load_submission

from .hostile_office import write_all
from .servekit import DATABASES, as_bureau, as_unit, county, make_app, post, seed_for, token

HOSTILE = Path(__file__).parent / "hostile" / "submissions"
PUBLIC = {"index", "login", "static", "favicon"}


@pytest.fixture(params=DATABASES)
def two_units(request, tmp_path):
    app, password = make_app(tmp_path, request.param)
    c = county(app, password)
    # Unit 甲 has a file, a report and a submission; 乙 is the one who must not see them.
    a = as_unit(c, "甲单位")
    post(a, f"/entries/{c.units['甲单位']['entry_id']}/upload", files={"file": ("甲的自评.yaml", seed_for("甲单位"))})
    yield c
    app.extensions["perfrules"]["engine"].dispose()


def _ids(c) -> dict[str, int]:
    from sqlalchemy import select

    from perfrules.web.db import Standard, Upload, User
    session = c.app.extensions["perfrules"]["Session"]()
    upload = session.scalars(select(Upload)).one()
    standard = session.scalars(select(Standard)).first()
    if standard is None:   # a draft 评分标准 of the bureau's: its pages are the bureau's only
        from .conftest import ROOT
        text = (ROOT / "rulesets" / "shaanxi" / "zizhou-unit-overall-2025.1.yaml").read_text(encoding="utf-8")
        admin = session.scalars(select(User).where(User.username == "admin")).one()
        standard = Standard(ruleset_id="shaanxi/walk", version="1", title="x", extends="", sha256="0" * 64, filename="x.yaml",
                            yaml=text.replace("id: shaanxi/zizhou-unit-overall", "id: shaanxi/walk").replace('version: "2025.1"', 'version: "1"'),
                            tests="", uploaded_by=admin.id)
        session.add(standard)
        session.commit()
    sid = standard.id
    session.close()
    return {"eid": c.units["甲单位"]["entry_id"], "uid": upload.id, "rid": c.round_id,
            "unit_id": c.units["甲单位"]["unit_id"], "fmt": "docx", "sid": sid}


# Pages of a round that every unit taking part in it may read (its 评分标准): 乙 is in 甲's round.
SHARED_WITH_THE_ROUND = {"round_standard", "round_standard_workbook"}


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_view_declares_who_may_use_it(two_units):
    app = two_units.app
    for endpoint, view in app.view_functions.items():
        if endpoint == "static":
            continue
        assert getattr(view, "access", None) in ("public", "user", "bureau", "unit"), endpoint


def test_every_route_as_another_unit_and_as_nobody(two_units):
    c = two_units
    ids = _ids(c)
    other = as_unit(c, "乙单位")
    other_token = token(other)
    anonymous = c.app.test_client()
    anon_token = token(anonymous, "/login")
    walked = 0
    secret = "甲的自评"
    for rule, method in _routes(c.app):
        url = rule.build({k: v for k, v in ids.items() if k in rule.arguments}, append_unknown=False)[1]
        for client, csrf, who in ((other, other_token, "乙单位"), (anonymous, anon_token, "anonymous")):
            resp = client.open(url, method=method, data={"csrf": csrf, "comment": "x", "against": "cn/project@2020.1",
                                                         "name": "x", "title": "x", "year": "2024"})
            if who == "anonymous":
                assert resp.status_code == 403, (who, method, url, resp.status_code)
            elif rule.endpoint in SHARED_WITH_THE_ROUND:   # 200 while 乙 is logged in; 403 once the walk logged out
                assert resp.status_code in (200, 403, 405), (who, method, url, resp.status_code)
            elif rule.arguments:
                # 甲's objects: 404 for unit routes (nothing said of their existence), 403 for the bureau's.
                assert resp.status_code in (403, 404), (who, method, url, resp.status_code)
            else:
                # Routes without an object answer 乙 about 乙 only, or refuse.
                assert resp.status_code in (200, 302, 400, 403), (who, method, url, resp.status_code)
            assert secret not in resp.get_data(as_text=True), (who, method, url)
            walked += 1
    assert walked >= 2 * len(list(_routes(c.app)))
    # The walk ended 乙's session (POST /logout is a route too); the server answers a new one.
    assert as_unit(c, "乙单位").get("/my").status_code == 200


def test_a_unit_sees_its_own_upload_and_nothing_else_of_the_round(two_units):
    c = two_units
    ids = _ids(c)
    owner = as_unit(c, "甲单位")
    assert owner.get(f"/uploads/{ids['uid']}/file").status_code == 200
    assert owner.get(f"/rounds/{ids['rid']}").status_code == 403
    assert owner.get(f"/rounds/{ids['rid']}/review").status_code == 403
    assert owner.get(f"/entries/{c.units['乙单位']['entry_id']}").status_code == 404


def _hostile_files(tmp_path: Path) -> list[Path]:
    office = tmp_path / "office"
    office.mkdir()
    write_all(office)
    return sorted(HOSTILE.iterdir()) + sorted(office.iterdir())


@pytest.mark.slow
def test_hostile_corpus_through_the_web(tmp_path):
    app, password = make_app(tmp_path, "sqlite")
    c = county(app, password, names=("甲单位",))
    unit = as_unit(c, "甲单位")
    entry = c.units["甲单位"]["entry_id"]
    for path in _hostile_files(tmp_path):
        data = path.read_bytes()
        try:
            load_submission(path, path.name)
            expected = None
        except PerfrulesError as exc:
            expected = exc.first.message
        resp = post(unit, f"/entries/{entry}/upload", files={"file": (path.name, data)})
        assert resp.status_code in (302, 400), (path.name, resp.status_code)
        page = unit.get(f"/entries/{entry}")
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert "Traceback" not in text and "内部错误" not in text, path.name
        if resp.status_code == 302 and expected is not None:
            assert str(escape(expected)) in text, (path.name, expected)
            assert "文件无法评分" in text
    # Still answering, for everyone.
    assert as_bureau(c).get(f"/rounds/{c.round_id}").status_code == 200
    assert re.search(r"v\d+", unit.get(f"/entries/{entry}").get_data(as_text=True))


@pytest.mark.slow
def test_hostile_office_files_as_a_unit_list(tmp_path):
    """The unit-list reader (CSV or xlsx) is a reader too: every hostile Office file gets a clear 400, the
    server goes on answering, and nothing is added."""
    app, password = make_app(tmp_path, "sqlite")
    c = county(app, password, names=("甲单位",))
    bureau = as_bureau(c)
    office = tmp_path / "office"
    office.mkdir()
    for name in write_all(office):
        data = (office / name).read_bytes()
        for upload_name in (name if name.endswith(".xlsx") else name + ".xlsx", "名单.csv"):
            resp = post(bureau, f"/rounds/{c.round_id}/units", files={"file": (upload_name, data)})
            text = resp.get_data(as_text=True)
            assert resp.status_code == 400, (upload_name, resp.status_code)
            assert "名单" in text and "Traceback" not in text and "内部错误" not in text, upload_name
    page = bureau.get(f"/rounds/{c.round_id}").get_data(as_text=True)
    assert page.count("重置密码") == 1   # still the one unit
