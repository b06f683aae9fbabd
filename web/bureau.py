"""What the bureau does with a round: open it, add units, follow it, return or review an entry, close it,
the county review page, the export, the replay; and the audit log."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from flask import Response, abort, g, redirect, render_template, request, url_for
from sqlalchemy import func, select

from perfrules.engine.dates import today
from perfrules.engine.errors import PerfrulesError
from perfrules.engine.submission import KIND_LABELS

from . import security, work
from .common import (date_field, score_round_under, PAGE_SIZE, STATUS, STATUS_ORDER, _download, _ext, _message, access, audit, db, entry_for,
                     entry_rows, round_or_404, round_summary, scoring_of, unconfirmed, when, with_results)
from .db import Entry, Round, Unit, User, now
from .hashing import PENDING


# ------------------------------------------------------------------------------------------ views: the bureau

@access("bureau")
def rounds() -> Any:
    if request.method == "POST":
        return _create_round()
    all_rounds = db().scalars(select(Round).order_by(Round.id.desc())).all()
    return render_template("rounds.html", rounds=all_rounds, refs=_ruleset_refs(), note="", year=today().year - 1)


def _ruleset_refs() -> list[str]:
    """Every ruleset on the search path as id@version, for the choices of a round and of a replay."""
    from perfrules.engine.ruleset import index, search_path
    return sorted({f"{e.id}@{e.version}" for e in index(search_path(_ext()["dirs"]))})


def _create_round() -> Any:
    form = request.form
    title = (form.get("title") or "").strip()[:200]
    ref = (form.get("ruleset") or "").strip()
    try:
        year = int(form.get("year") or "")
        deadline = dt.date.fromisoformat(form["deadline"]) if form.get("deadline") else None
    except ValueError:
        return _message(400, "年度或截止日期有误", "年度写四位数字，截止日期用日期选择框（如 2026-03-31）。")
    if not title or not 1990 <= year <= 2100:
        return _message(400, "请填写轮次名称和年度", "例如：2025 年度部门整体支出绩效自评。")
    kind = form.get("kind") or "unit-overall"
    if kind not in KIND_LABELS:
        abort(400)
    try:
        rs, note = (work.ruleset(ref, _ext()["dirs"]), "") if ref else chosen_ruleset(kind, year)
    except PerfrulesError as exc:
        return _message(400, "规则集不可用", str(exc.first))
    rnd = Round(title=title, year=year, kind=kind, ruleset_ref=rs.ref, ruleset_sha256=rs.sha256, deadline=deadline,
                created_by=g.user.id, ruleset_note=note)
    db().add(rnd)
    db().flush()
    audit("round", f"建立轮次“{title}”（{year} 年度，{rs.ref}）" + (f"；{note}" if note else ""), rnd.id)
    db().commit()
    return redirect(url_for("round_view", rid=rnd.id))


def chosen_ruleset(kind: str, year: int) -> tuple[Any, str]:
    """The ruleset `choose` picks for a round's kind and year (as `perfrules score` would for a unit's file
    that names none), and why, in words: its scope, and the others that also apply."""
    from perfrules.engine.api import scope_text
    from perfrules.engine.ruleset import choose, get_ruleset, index, search_path
    dirs = search_path(_ext()["dirs"])
    rs = choose(kind, year, None, dirs)
    others = []
    for e in index(dirs):
        if f"{e.id}@{e.version}" == rs.ref:
            continue
        try:
            other = get_ruleset(str(e.path), dirs)
        except PerfrulesError:
            continue
        if other.applies(kind, year, None):
            others.append(f"{other.ref}（优先级 {other.priority}）")
    why = (f"按类型（{KIND_LABELS[kind]}）和年度（{year}）自动选用 {rs.ref}：其适用范围为{scope_text(rs)}"
           + (f"；同样适用的还有 {'、'.join(others)}，选用优先级最高、版本最新者" if others else "；只有它适用") + "。")
    return rs, why


@access("bureau")
def round_view(rid: int) -> Any:
    """The round's units: counts by status over all of them; the table searched (单位、地区、账号), filtered by
    status, 逾期 and 单位不符 (on the page shown), and paged; bulk review and return of the ones ticked."""
    rnd = round_or_404(rid)
    rows = round_summary(rnd)
    live = [r for r in rows if r["unit"].retired_at is None]
    counts = {s: sum(r["status"] == s for r in live) for s in STATUS_ORDER}
    late_count = sum(r["late"] for r in live)
    wanted = request.args.get("status")
    query = (request.args.get("q") or "").strip()[:100]
    late_only = request.args.get("late") == "1"
    shown = [r for r in rows if (wanted not in STATUS or r["status"] == wanted) and (not late_only or r["late"])
             and (not query or query in r["unit"].name or query in (r["unit"].region or "") or query in r["username"])]
    pages = max(1, (len(shown) + PAGE_SIZE - 1) // PAGE_SIZE)
    page = min(max(1, request.args.get("page", 1, type=int)), pages)
    page_rows = shown[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]
    with_results(page_rows)
    refs = _ruleset_refs()
    current_sha = None
    try:
        current_sha = work.ruleset(rnd.ruleset_ref, _ext()["dirs"]).sha256
    except PerfrulesError:
        pass
    args = {k: v for k, v in (("status", wanted if wanted in STATUS else None), ("q", query or None),
                              ("late", "1" if late_only else None)) if v}
    pending = db().scalar(select(func.count()).select_from(User).join(Entry, Entry.unit_id == User.unit_id)
                          .where(Entry.round_id == rnd.id, User.password_hash == PENDING)) or 0
    return render_template("round.html", rnd=rnd, rows=page_rows, counts=counts, order=STATUS_ORDER, wanted=wanted,
                           pending=pending,
                           refs=refs, accounts=None, ruleset_changed=current_sha != rnd.ruleset_sha256, q=query,
                           late_only=late_only, late_count=late_count, page=page, pages=pages, matched=len(shown),
                           args=args)


@access("bureau")
def round_bulk(rid: int) -> Any:
    """Review or return the ticked entries at once (those submitted; the others are named and left)."""
    rnd = round_or_404(rid)
    action = request.form.get("action")
    comment = (request.form.get("comment") or "").strip()[:2000]
    ids = {int(x) for x in request.form.getlist("eid") if x.isdigit()}
    if action not in ("review", "return") or not ids:
        return _message(400, "请先勾选单位并选择操作", "在单位列表中勾选要处理的单位，再点“批量复核”或“批量退回”。")
    if action == "return" and not comment:
        return _message(400, "请写明退回意见", "批量退回时，所有勾选的单位会看到同一段意见。")
    chosen = db().execute(select(Entry, Unit).join(Unit, Unit.id == Entry.unit_id)
                          .where(Entry.round_id == rnd.id, Entry.id.in_(ids)).order_by(Unit.name)).all()
    ready = [(e, u) for e, u in chosen if e.state == "submitted"]
    left = [u.name for e, u in chosen if e.state != "submitted"]
    word = "标记为已复核" if action == "review" else "退回"
    text = (f"将 {len(ready)} 个已送审的单位{word}：{'、'.join(u.name for _, u in ready[:20])}{' 等' if len(ready) > 20 else ''}。"
            + (f"\n退回意见：{comment}" if action == "return" else "")
            + (f"\n另有 {len(left)} 个未送审，不处理：{'、'.join(left[:10])}{' 等' if len(left) > 10 else ''}。" if left else ""))
    ask = unconfirmed(f"批量{word}？", text, f"{word} {len(ready)} 个单位", url_for("round_view", rid=rnd.id))
    if ask is not None:
        return ask
    for entry, unit in ready:
        if action == "review":
            entry.state, entry.updated_at = "reviewed", now()
            audit("review", "批量标记为已复核", rnd.id, entry.id)
        else:
            entry.state, entry.comment, entry.updated_at = "returned", comment, now()
            audit("return", f"批量退回：{comment}", rnd.id, entry.id)
    db().commit()
    return redirect(url_for("round_view", rid=rnd.id))


@access("bureau")
def entry_return(eid: int) -> Any:
    entry = entry_for(eid)
    comment = (request.form.get("comment") or "").strip()[:2000]
    if entry.state != "submitted":
        return _message(409, "只能退回已送审的自评", "")
    if not comment:
        return _message(400, "请写明退回意见", "单位会看到这段意见，据此修改。")
    unit = db().get(Unit, entry.unit_id)
    ask = unconfirmed(f"退回“{unit.name}”的自评？", f"退回意见：{comment}\n退回后单位可以修改并重新上传、送审。",
                      "退回", url_for("entry_view", eid=entry.id))
    if ask is not None:
        return ask
    entry.state, entry.comment, entry.updated_at = "returned", comment, now()
    audit("return", f"退回：{comment}", entry.round_id, entry.id)
    db().commit()
    return redirect(url_for("entry_view", eid=entry.id))


@access("bureau")
def entry_review(eid: int) -> Any:
    entry = entry_for(eid)
    if entry.state != "submitted":
        return _message(409, "只能复核已送审的自评", "")
    unit = db().get(Unit, entry.unit_id)
    ask = unconfirmed(f"将“{unit.name}”的自评标记为已复核？", "标记后本轮自评即告完成，单位不能再修改；如需修改，可在本页退回。",
                      "标记为已复核", url_for("entry_view", eid=entry.id))
    if ask is not None:
        return ask
    entry.state, entry.updated_at = "reviewed", now()
    audit("review", "标记为已复核", entry.round_id, entry.id)
    db().commit()
    return redirect(url_for("entry_view", eid=entry.id))


@access("bureau")
def round_close(rid: int) -> Any:
    rnd = round_or_404(rid)
    ask = unconfirmed(f"结束“{rnd.title}”？", "结束后不再接收上传和送审；已交材料、评分和报告仍可查看、导出。\n需要时可以重新开放本轮。",
                      "结束本轮", url_for("round_view", rid=rnd.id))
    if ask is not None:
        return ask
    if rnd.closed_at is None:
        rnd.closed_at = now()
        audit("close", f"关闭轮次“{rnd.title}”", rnd.id)
        db().commit()
    return redirect(url_for("round_view", rid=rnd.id))


@access("bureau")
def round_reopen(rid: int) -> Any:
    rnd = round_or_404(rid)
    ask = unconfirmed(f"重新开放“{rnd.title}”？", "重新开放后单位可以再上传、送审；截止日期如已过，请同时修改。",
                      "重新开放", url_for("round_view", rid=rnd.id))
    if ask is not None:
        return ask
    if rnd.closed_at is not None:
        rnd.closed_at = None
        audit("reopen", f"重新开放轮次“{rnd.title}”", rnd.id)
        db().commit()
    return redirect(url_for("round_view", rid=rnd.id))


@access("bureau")
def round_edit(rid: int) -> Any:
    """The round's title and deadline (the deadline for all its units), each change audited as old → new."""
    rnd = round_or_404(rid)
    title = (request.form.get("title") or "").strip()[:200]
    try:
        deadline = date_field()
    except ValueError:
        return _message(400, "截止日期有误", "请用日期选择框（如 2026-03-31）。")
    if not title:
        return _message(400, "请填写轮次名称", "")
    changes = []
    if title != rnd.title:
        changes.append(f"名称 “{rnd.title}” → “{title}”")
        rnd.title = title
    if deadline != rnd.deadline:
        changes.append(f"截止日期 {when(rnd.deadline) or '（无）'} → {when(deadline) or '（无）'}")
        rnd.deadline = deadline
    if changes:
        audit("edit", "修改轮次：" + "；".join(changes), rnd.id)
        db().commit()
    return redirect(url_for("round_view", rid=rnd.id))


@access("bureau")
def entry_deadline(eid: int) -> Any:
    """One unit's own deadline (an extension), or back to the round's when left blank; audited."""
    entry = entry_for(eid)
    try:
        deadline = date_field()
    except ValueError:
        return _message(400, "截止日期有误", "请用日期选择框（如 2026-03-31）。")
    if deadline != entry.deadline:
        unit = db().get(Unit, entry.unit_id)
        audit("deadline", f"“{unit.name}”的截止日期 {when(entry.deadline) or '（同本轮）'} → {when(deadline) or '（同本轮）'}",
              entry.round_id, entry.id)
        entry.deadline = deadline
        db().commit()
    return redirect(url_for("entry_view", eid=entry.id))


def _county(rnd: Round) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    rows, failed, entries = [], [], entry_rows(rnd)
    for r in entries:
        if r["scoring"] is None:
            continue
        if r["row"]:   # named by unit and version (unique, as batch's rows are), and the unit's workflow status:
            # the live page's 文件 column says where each unit stands, and its search box finds 已送审 / 已退回 …
            rows.append({**r["row"], "file": f"{r['unit'].name}/v{r['upload'].version}/{r['upload'].filename}"
                                             f"（{STATUS[r['status']]}）"})
        else:
            problem = (json.loads(r["scoring"].result).get("problems") or [{}])[0]
            failed.append({"file": r["upload"].filename, "line": None, "message": f"{r['unit'].name}：{problem.get('message', '')}",
                           "hint": problem.get("hint", "")})
    return rows, failed, entries


@access("bureau")
def round_review(rid: int) -> Any:
    rnd = round_or_404(rid)
    rows, failed, _ = _county(rnd)
    g.csp = security.review_csp()
    return Response(work.county_outputs(rows, failed, "html", back=url_for("round_view", rid=rnd.id)), mimetype="text/html")


@access("bureau")
def round_export(rid: int) -> Any:
    rnd = round_or_404(rid)
    with_pdf = request.args.get("pdf") == "1"   # Word always; PDF too when asked (about half a second a unit)
    rows, failed, entries = _county(rnd)
    members = []
    for r in entries:
        if r["upload"] is None:
            continue
        data = _ext()["blobs"].get(r["upload"].sha256)
        unit = work.safe_member(r["unit"].name)
        members.append((f"自评文件/{unit}-v{r['upload'].version}{r['upload'].suffix}", data))
        if r["scoring"] is not None and r["scoring"].ok:
            for fmt in ("docx", "pdf") if with_pdf else ("docx",):
                try:
                    members.append((f"评价报告/{unit}.{fmt}", work.report(data, r["upload"].suffix, r["upload"].filename,
                                                                      rnd.ruleset_ref, fmt, _ext()["dirs"])))
                except PerfrulesError as exc:
                    members.append((f"评价报告/{unit}-{fmt}-无法生成.txt", str(exc.first).encode("utf-8")))
    payload = work.export_zip(work.county_outputs(rows, failed, "xlsx"), members)
    audit("export", f"导出 {len(rows)} 个单位的汇总与报告（Word{'、PDF' if with_pdf else ''}）", rnd.id)
    db().commit()
    return _download(payload, f"{rnd.year}年度绩效自评-{work.safe_member(rnd.title)}.zip", "application/zip")


@access("bureau")
def round_replay(rid: int) -> Any:
    """Score the round's latest uploads under another ruleset version (new scorings beside the old) and show
    the grade crossings, as `perfrules replay` does."""
    from perfrules.engine.replay import Row, to_html
    rnd = round_or_404(rid)
    against = (request.values.get("against") or "").strip()
    try:
        after = work.ruleset(against, _ext()["dirs"])
    except PerfrulesError as exc:
        return _message(400, "规则集不可用", str(exc.first))
    if request.method == "POST":
        made = score_round_under(rnd, after.ref, _ext()["dirs"])
        audit("replay", f"按 {after.ref} 重新评分 {made} 份（原 {rnd.ruleset_ref}）", rnd.id)
        db().commit()
        return redirect(url_for("round_replay", rid=rnd.id, against=after.ref))
    rows = []
    for r in entry_rows(rnd):
        up = r["upload"]
        if up is None:
            continue
        before, later = r["scoring"], scoring_of(up.id, after.ref)
        row = Row(file=f"{up.filename}（v{up.version}）", unit=r["unit"].name, before_ruleset=rnd.ruleset_ref)
        if later is None:
            row.error = f"{r['unit'].name}：尚未按 {after.ref} 评分"
        elif not (before and before.ok and later.ok):
            row.error = f"{r['unit'].name}：无法评分"
        else:
            row.before_total, row.before_grade = Decimal(before.total or "0"), before.grade
            row.after_total, row.after_grade = Decimal(later.total or "0"), later.grade   # ok: total is set
        rows.append(row)
    g.csp = security.review_csp()
    return Response(to_html(after, rows, back=url_for("round_view", rid=rnd.id)), mimetype="text/html")
