"""A round a county can run without mistakes (issue 25 items 1 and 2): every irreversible click is a step of
its own, a closed round reopens, title and deadline change for all or for one unit, each change audited;
a new round's ruleset is the one `choose` picks for its kind and year, and the page says why."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from .servekit import DATABASES, as_bureau, as_unit, clean_for, county, login, make_app, post


@pytest.fixture(params=DATABASES)
def round_(request, tmp_path):
    app, password = make_app(tmp_path, request.param)
    yield county(app, password)
    app.extensions["perfrules"]["engine"].dispose()


def _session(c):
    return c.app.extensions["perfrules"]["Session"]()


def _audit(c) -> list[tuple[str, str]]:
    from perfrules.web.db import Audit
    with _session(c) as s:
        return [(a.action, a.detail) for a in s.scalars(select(Audit).order_by(Audit.id))]


@pytest.mark.parametrize("action", ["close", "password", "return", "review", "submit"])
def test_each_irreversible_action_asks_first_and_does_nothing_until_confirmed(round_, action):
    from perfrules.web.db import Entry, Round
    entry = round_.units["甲单位"]["entry_id"]
    unit = as_unit(round_, "甲单位")
    bureau = as_bureau(round_)
    post(unit, f"/entries/{entry}/upload", files={"file": ("甲.yaml", clean_for("甲单位"))})
    if action in ("return", "review"):
        assert post(unit, f"/entries/{entry}/submit", {"confirm": "yes"}).status_code == 302
    client, url, data, effect = {
        "close": (bureau, f"/rounds/{round_.round_id}/close", {}, lambda s: s.get(Round, round_.round_id).closed_at),
        "password": (bureau, f"/rounds/{round_.round_id}/units/{round_.units['甲单位']['unit_id']}/password", {},
                     lambda s: any(a == "password" for a, _ in _audit(round_))),
        "return": (bureau, f"/entries/{entry}/return", {"comment": "请补充样本量"},
                   lambda s: s.get(Entry, entry).state == "returned"),
        "review": (bureau, f"/entries/{entry}/review", {}, lambda s: s.get(Entry, entry).state == "reviewed"),
        "submit": (unit, f"/entries/{entry}/submit", {}, lambda s: s.get(Entry, entry).state == "submitted"),
    }[action]
    ask = post(client, url, data)
    assert ask.status_code == 200 and 'id="confirm-step"' in ask.text and 'name="confirm" value="yes"' in ask.text
    for key, value in data.items():   # the form's own fields ride along in the confirmation
        assert f'name="{key}" value="{value}"' in ask.text
    with _session(round_) as s:
        assert not effect(s)
    done = post(client, url, {**data, "confirm": "yes"})
    assert done.status_code in (200, 302)
    with _session(round_) as s:
        assert effect(s)


def test_a_closed_round_reopens_and_its_title_and_deadlines_change_audited(round_):
    from perfrules.web.db import Entry, Round
    bureau = as_bureau(round_)
    rid, entry = round_.round_id, round_.units["乙单位"]["entry_id"]
    post(bureau, f"/rounds/{rid}/close", {"confirm": "yes"})
    assert 'id="reopen"' in bureau.get(f"/rounds/{rid}").text
    assert post(bureau, f"/rounds/{rid}/reopen", {"confirm": "yes"}).status_code == 302
    assert post(bureau, f"/rounds/{rid}/edit", {"title": "2024 年度整体支出自评（延长）", "deadline": "2025-04-30"}).status_code == 302
    assert post(bureau, f"/entries/{entry}/deadline", {"deadline": "2025-05-15"}).status_code == 302
    with _session(round_) as s:
        rnd = s.get(Round, rid)
        assert rnd.closed_at is None and rnd.title == "2024 年度整体支出自评（延长）" and rnd.deadline.isoformat() == "2025-04-30"
        assert s.get(Entry, entry).deadline.isoformat() == "2025-05-15"
    actions = _audit(round_)
    assert ("reopen", "重新开放轮次“2024 年度部门整体支出绩效自评”") in actions
    assert any(a == "edit" and "截止日期 2025年3月31日 → 2025年4月30日" in d for a, d in actions)
    assert any(a == "deadline" and "“乙单位”的截止日期 （同本轮） → 2025年5月15日" in d for a, d in actions)
    unit = as_unit(round_, "乙单位")
    assert "2025年5月15日（本单位延期）" in unit.get(f"/entries/{entry}").text
    assert post(unit, f"/rounds/{rid}/reopen", {"confirm": "yes"}).status_code == 403


def test_a_new_round_defaults_to_the_ruleset_choose_picks_and_says_why(round_):
    bureau = as_bureau(round_)
    form = bureau.get("/rounds").text
    assert '<option value="" selected>按类型和年度自动选用' in form
    resp = post(bureau, "/rounds", {"title": "2025 年度项目支出绩效自评", "year": "2025", "kind": "project", "ruleset": ""})
    assert resp.status_code == 302
    page = bureau.get(resp.headers["Location"]).text
    assert "cn/project@2020.1" in page and "按类型（项目）和年度（2025）自动选用 cn/project@2020.1" in page
    resp = post(bureau, "/rounds", {"title": "2025 年度部门整体", "year": "2025", "kind": "unit-overall", "ruleset": ""})
    page = bureau.get(resp.headers["Location"]).text
    from perfrules.engine.ruleset import choose, search_path
    assert choose("unit-overall", 2025, None, search_path([])).ref in page and "同样适用的还有" in page


def test_the_audit_log_speaks_chinese_filters_and_exports(round_):
    bureau = as_bureau(round_)
    c = round_.app.test_client()
    login(c, "nobody", "wrong", expect=401)
    page = bureau.get("/audit").text
    assert "<td>登录</td>" in page and "<td>登录失败</td>" in page and "<td>建立轮次</td>" in page
    assert ">login<" not in page and ">login-failed<" not in page
    only = bureau.get("/audit?action=login-failed").text
    assert "<td>登录失败</td>" in only and "<td>建立轮次</td>" not in only
    by_account = bureau.get("/audit?who=admin&action=round").text
    assert "<td>建立轮次</td>" in by_account and "<td>登录失败</td>" not in by_account
    from perfrules.engine.dates import today
    future = bureau.get(f"/audit?from={today().replace(year=today().year + 1).isoformat()}").text
    assert "没有符合条件的记录" in future
    csv = bureau.get("/audit?format=csv&action=round")
    assert csv.status_code == 200 and csv.headers["Content-Type"].startswith("text/csv")
    text = csv.data.decode("utf-8")
    assert text.startswith("\ufeff时间,账号,操作,操作代码,轮次,内容,地址") and "建立轮次,round" in text and "登录失败" not in text
    assert as_unit(round_, "甲单位").get("/audit?format=csv").status_code == 403


def test_another_units_file_is_flagged_for_the_unit_and_the_bureau(round_):
    from .servekit import seed_for
    entry = round_.units["甲单位"]["entry_id"]
    unit = as_unit(round_, "甲单位")
    post(unit, f"/entries/{entry}/upload", files={"file": ("乙的.yaml", seed_for("乙单位"))})
    page = unit.get(f"/entries/{entry}").text
    assert 'id="mismatch"' in page and "“乙单位”与本账号的单位“甲单位”不一致" in page
    bureau = as_bureau(round_)
    assert "单位不符" in bureau.get(f"/rounds/{round_.round_id}").text
    assert "由财政局决定是否退回" in bureau.get(f"/entries/{entry}").text
    post(unit, f"/entries/{entry}/upload", files={"file": ("甲的.yaml", seed_for("甲单位"))})
    assert 'id="mismatch"' not in unit.get(f"/entries/{entry}").text
    assert "单位不符" not in bureau.get(f"/rounds/{round_.round_id}").text


def test_v2_shows_what_changed_from_v1_row_by_row(round_):
    from .servekit import seed_for
    entry = round_.units["甲单位"]["entry_id"]
    unit = as_unit(round_, "甲单位")
    post(unit, f"/entries/{entry}/upload", files={"file": ("v1.yaml", seed_for("甲单位"))})
    assert 'id="changes"' not in unit.get(f"/entries/{entry}").text          # one version: nothing to compare
    post(unit, f"/entries/{entry}/upload", files={"file": ("v2.yaml", clean_for("甲单位"))})
    for client in (unit, as_bureau(round_)):
        page = client.get(f"/entries/{entry}").text
        assert "与上一版 v1 相比" in page
        changed = page[page.index('id="changed-rows"'):page.index("</table>", page.index('id="changed-rows"'))]
        assert "2024 年底完成率" in changed and "实际完成值" in changed and "100%" in changed   # the blank actual filled
        assert 'id="resolved"' in page                                                    # its errors resolved
    v1 = unit.get(f"/entries/{entry}?version=1").text
    assert "与上一版" not in v1


def test_a_round_of_many_units_searches_filters_pages_and_acts_in_bulk(round_):
    from perfrules.web.db import Entry
    from .servekit import county
    big = county(round_.app, round_.admin, names=tuple(f"单位{i:03d}" for i in range(60)))
    bureau = as_bureau(big)
    page = bureau.get(f"/rounds/{big.round_id}").text
    assert "共 60 个单位，第 1 / 2 页" in page and page.count('name="eid"') == 0    # nobody has submitted yet
    assert "单位000" in page and "单位055" not in page
    second = bureau.get(f"/rounds/{big.round_id}?page=2").text
    assert "单位055" in second and "单位000" not in second
    found = bureau.get(f"/rounds/{big.round_id}?q=单位01").text
    assert "共 10 个单位" in found and "单位012" in found and "单位020" not in found
    account = big.units["单位007"]["username"]
    assert "单位007" in bureau.get(f"/rounds/{big.round_id}?q={account}").text   # by account id, shown in the table
    for name in ("单位001", "单位002", "单位003"):
        unit = as_unit(big, name)
        entry = big.units[name]["entry_id"]
        post(unit, f"/entries/{entry}/upload", files={"file": ("x.yaml", clean_for(name))})
        post(unit, f"/entries/{entry}/submit", {"confirm": "yes"})
    submitted = bureau.get(f"/rounds/{big.round_id}?status=submitted").text
    assert submitted.count('name="eid"') == 3
    ids = [str(big.units[n]["entry_id"]) for n in ("单位001", "单位002", "单位004")]
    ask = post(bureau, f"/rounds/{big.round_id}/bulk", {"action": "return", "comment": "请补充附件", "eid": ids})
    assert ask.status_code == 200 and "将 2 个已送审的单位退回" in ask.text and "另有 1 个未送审" in ask.text
    with _session(big) as s:
        assert s.get(Entry, int(ids[0])).state == "submitted"
    c = big.app.test_client()
    login(c, "admin", big.admin)
    from .servekit import csrf_of
    form = {"csrf": csrf_of(c.get("/password").text), "action": "return", "comment": "请补充附件", "eid": ids, "confirm": "yes"}
    assert c.post(f"/rounds/{big.round_id}/bulk", data=form).status_code == 302
    with _session(big) as s:
        assert [s.get(Entry, int(i)).state for i in ids] == ["returned", "returned", "open"]
    pending = bureau.get(f"/rounds/{big.round_id}/pending.csv").data.decode("utf-8")
    assert pending.startswith("\ufeff单位名称,地区,联系人,账号,状态")
    assert "单位003" not in pending and "单位001" in pending and pending.count("\n") == 1 + 59


def test_a_unit_renamed_or_retired_keeps_its_history(round_):
    from perfrules.web.db import Unit
    entry, unit_id = round_.units["甲单位"]["entry_id"], round_.units["甲单位"]["unit_id"]
    unit = as_unit(round_, "甲单位")
    post(unit, f"/entries/{entry}/upload", files={"file": ("甲.yaml", clean_for("甲单位"))})
    bureau = as_bureau(round_)
    assert post(bureau, f"/units/{unit_id}/edit", {"name": "甲单位（更名）", "region": "子洲县", "contact": "李四"}).status_code == 302
    assert "甲单位（更名）" in bureau.get(f"/rounds/{round_.round_id}").text
    assert post(bureau, f"/units/{unit_id}/retire").status_code == 200              # asks first
    assert post(bureau, f"/units/{unit_id}/retire", {"confirm": "yes"}).status_code == 302
    assert unit.get("/my").status_code == 403                                     # its session ended
    login(round_.app.test_client(), round_.units["甲单位"]["username"], round_.units["甲单位"]["password"], expect=401)
    page = bureau.get(f"/rounds/{round_.round_id}").text
    assert "已停用" in page and "v1" in page                                        # its upload is still there
    assert "甲单位（更名）" not in bureau.get(f"/rounds/{round_.round_id}/pending.csv").data.decode("utf-8")
    assert any(a == "unit" and "名称 “甲单位” → “甲单位（更名）”" in d for a, d in _audit(round_))
    post(bureau, f"/units/{unit_id}/retire", {"confirm": "yes"})                  # 恢复
    with _session(round_) as s:
        assert s.get(Unit, unit_id).retired_at is None
    login(round_.app.test_client(), round_.units["甲单位"]["username"], round_.units["甲单位"]["password"])


def test_the_round_page_costs_a_fixed_number_of_queries_whatever_its_size(round_):
    """2 units or 62: the same number of SQL statements (the table reads results for its page only)."""
    from sqlalchemy import event
    from .servekit import county
    engine = round_.app.extensions["perfrules"]["engine"]
    statements: list[str] = []
    listen = lambda conn, cursor, statement, *a: statements.append(statement)  # noqa: E731
    bureau = as_bureau(round_)
    counts = []
    for c in (round_, county(round_.app, round_.admin, names=tuple(f"多{i:02d}" for i in range(60)))):
        for name in list(c.units)[:2]:
            post(as_unit(c, name), f"/entries/{c.units[name]['entry_id']}/upload", files={"file": ("x.yaml", clean_for(name))})
        event.listen(engine, "before_cursor_execute", listen)
        statements.clear()
        assert bureau.get(f"/rounds/{c.round_id}").status_code == 200
        event.remove(engine, "before_cursor_execute", listen)
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def test_the_export_has_pdf_reports_when_asked(round_):
    import io
    import zipfile
    entry = round_.units["甲单位"]["entry_id"]
    post(as_unit(round_, "甲单位"), f"/entries/{entry}/upload", files={"file": ("甲.yaml", clean_for("甲单位"))})
    bureau = as_bureau(round_)
    plain = zipfile.ZipFile(io.BytesIO(bureau.get(f"/rounds/{round_.round_id}/export").data)).namelist()
    assert "评价报告/甲单位.docx" in plain and "评价报告/甲单位.pdf" not in plain
    both = zipfile.ZipFile(io.BytesIO(bureau.get(f"/rounds/{round_.round_id}/export?pdf=1").data))
    assert "评价报告/甲单位.pdf" in both.namelist() and both.read("评价报告/甲单位.pdf")[:5] == b"%PDF-"


def test_adding_units_answers_at_once_and_hashes_in_workers(tmp_path):
    """Issue 26 item 4: with workers, new accounts' argon2id hashes are made off the request path; an account
    whose hash is not written yet says so at login; every account logs in once its hash is written."""
    import time

    from perfrules.web.app import create_app, ensure_first_account
    from perfrules.web.db import User
    from perfrules.web.hashing import PENDING
    app = create_app(tmp_path / "data", testing=True, workers=1)
    password = ensure_first_account(app)
    try:
        names = tuple(f"后台{i}" for i in range(6))
        c = county(app, password, names=names)
        bureau = as_bureau(c)
        hasher = app.extensions["perfrules"]["hasher"]
        assert not hasher.hash_now()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with _session(c) as s:
                if not s.scalars(select(User).where(User.password_hash == PENDING)).all():
                    break
            time.sleep(0.2)
        else:
            raise AssertionError("hashes not written")
        assert 'id="accounts-pending"' not in bureau.get(f"/rounds/{c.round_id}").text
        for name in names:
            as_unit(c, name)   # logs in
    finally:
        app.extensions["perfrules"]["hasher"].close()
        app.extensions["perfrules"]["scorer"].close()
        app.extensions["perfrules"]["engine"].dispose()


def test_an_account_still_being_made_says_so(round_):
    from perfrules.web.db import User
    from perfrules.web.hashing import PENDING
    with _session(round_) as s:
        user = s.scalars(select(User).where(User.unit_id == round_.units["甲单位"]["unit_id"])).one()
        user.password_hash = PENDING
        s.commit()
    c = round_.app.test_client()
    resp = login(c, round_.units["甲单位"]["username"], round_.units["甲单位"]["password"], expect=409)
    assert "正在建立" in resp.text
    assert 'id="accounts-pending"' in as_bureau(round_).get(f"/rounds/{round_.round_id}").text
