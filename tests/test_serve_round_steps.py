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
