"""What the bureau does with a round: open it, add units, follow it, return or review an entry, close it,
the county review page, the export, the replay; and the audit log."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from decimal import Decimal
from typing import Any

from flask import Response, abort, g, redirect, render_template, request, url_for
from sqlalchemy import func, select

from perfrules.engine.dates import today
from perfrules.engine.errors import PerfrulesError
from perfrules.engine.limits import MAX_FILE_BYTES
from perfrules.engine.submission import KIND_LABELS

from . import security, work
from .common import (ACTION_LABELS, PAGE_SIZE, ROLE_LABELS, STATUS, STATUS_ORDER, _download, _ext, _message, access,
                     audit, db, entry_for, entry_rows, round_or_404, round_summary, scoring_of, unconfirmed, when,
                     with_results)
from .db import Audit, Entry, Round, Scoring, Unit, User, now
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
def round_pending(rid: int) -> Any:
    """A CSV of the units that have not submitted yet, with their contacts, to chase them."""
    rnd = round_or_404(rid)
    rows = [r for r in round_summary(rnd) if r["unit"].retired_at is None and r["status"] not in ("submitted", "reviewed")]
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["单位名称", "地区", "联系人", "账号", "状态", "最近上传", "截止日期", "逾期"])
    for r in rows:
        deadline = r["entry"].deadline or rnd.deadline
        writer.writerow([_csv_text(x) for x in (r["unit"].name, r["unit"].region, r["unit"].contact, r["username"],
                                                STATUS[r["status"]], when(r["upload"].uploaded_at) if r["upload"] else "",
                                                when(deadline), "是" if r["late"] or (deadline and today() > deadline) else "")])
    audit("download", f"导出未送审单位名单（{len(rows)} 个）", rnd.id)
    db().commit()
    return _download(("\ufeff" + buf.getvalue()).encode("utf-8"), f"{rnd.year}年度未送审单位.csv", "text/csv; charset=utf-8")


@access("bureau")
def unit_edit(unit_id: int) -> Any:
    """Rename a unit (or change its region and contact); its entries, uploads and scorings keep their history."""
    unit = db().get(Unit, unit_id)
    if unit is None:
        abort(404)
    name = (request.form.get("name") or "").strip()[:200]
    if not name:
        return _message(400, "请填写单位名称", "")
    if name != unit.name and db().scalar(select(Unit.id).where(Unit.name == name)) is not None:
        return _message(409, f"已有名为“{name}”的单位", "单位名称不能重复。")
    changes = [f"{label} “{old}” → “{new}”" for label, old, new in
               (("名称", unit.name, name), ("地区", unit.region, (request.form.get("region") or "").strip()[:200]),
                ("联系人", unit.contact, (request.form.get("contact") or "").strip()[:200])) if old != new]
    if changes:
        unit.name = name
        unit.region = (request.form.get("region") or "").strip()[:200]
        unit.contact = (request.form.get("contact") or "").strip()[:200]
        audit("unit", "修改单位：" + "；".join(changes))
        db().commit()
    return redirect(_back())


def _back() -> str:
    """Where a unit's settings form returns: the entry page it was sent from (this server's only), else 评价轮次."""
    back = request.form.get("back") or ""
    return back if re.fullmatch(r"/entries/\d+", back) else url_for("rounds")


@access("bureau")
def unit_retire(unit_id: int) -> Any:
    """Retire a unit (停用): its account can no longer log in; every round keeps what it did; undone by 恢复."""
    unit = db().get(Unit, unit_id)
    if unit is None:
        abort(404)
    back = _back()
    restore = unit.retired_at is not None
    ask = unconfirmed(f"{'恢复' if restore else '停用'}“{unit.name}”？",
                      "恢复后该单位的账号可以重新登录。" if restore else
                      "停用后该单位的账号不能再登录，已登录的会话结束；各轮次中的上传、评分和操作记录都保留，可以随时恢复。",
                      "恢复" if restore else "停用", back)
    if ask is not None:
        return ask
    users = db().scalars(select(User).where(User.unit_id == unit.id)).all()
    unit.retired_at = None if restore else now()
    for user in users:
        user.active = restore
        user.session_epoch += 1
    audit("unit", f"{'恢复' if restore else '停用'}单位“{unit.name}”")
    db().commit()
    return redirect(back)


@access("bureau")
def round_units(rid: int) -> Any:
    """Add one unit, or a list (CSV or xlsx: 单位名称, 地区, 联系人); each new unit gets an account whose password
    is shown once."""
    rnd = round_or_404(rid)
    file = request.files.get("file")
    problems: list[str] = []
    if file is not None and file.filename:
        try:
            wanted, problems = read_unit_list(file.stream.read(MAX_FILE_BYTES + 1), work.shown_name(file.filename))
        except PerfrulesError as exc:
            return _message(400, "名单无法读取", str(exc.first))
    else:
        name = (request.form.get("name") or "").strip()
        if not name:
            return _message(400, "请填写单位名称", "")
        wanted = [(name[:200], (request.form.get("region") or "").strip()[:200], (request.form.get("contact") or "").strip()[:200])]
    accounts: list[dict[str, Any]] = []
    hasher = _ext()["hasher"]
    later: list[tuple[User, str]] = []   # accounts whose hash is made by the workers, after the commit
    for name, region, contact in wanted:
        unit = db().scalars(select(Unit).where(Unit.name == name)).first()
        if unit is None:
            unit = Unit(name=name, region=region, contact=contact)
            db().add(unit)
            db().flush()
            password = security.new_password()
            username = f"dw{unit.id:04d}"
            user = User(username=username, role="unit", label=ROLE_LABELS["unit"], unit_id=unit.id, session_epoch=0,
                        active=True, password_hash=security.hash_password(password) if hasher.hash_now() else PENDING)
            db().add(user)
            if not hasher.hash_now():
                later.append((user, password))
            accounts.append({"unit": name, "username": username, "password": password, "new": True})
        else:
            user = db().scalars(select(User).where(User.unit_id == unit.id)).first()
            accounts.append({"unit": name, "username": user.username if user else "", "password": "", "new": False})
        if db().scalars(select(Entry).where(Entry.round_id == rnd.id, Entry.unit_id == unit.id)).first() is None:
            db().add(Entry(round_id=rnd.id, unit_id=unit.id, state="open", comment=""))
    audit("units", f"加入 {len(wanted)} 个单位（新账号 {sum(a['new'] for a in accounts)} 个）", rnd.id)
    db().commit()
    for user, password in later:
        hasher.submit(user.id, password)
    return render_template("accounts.html", rnd=rnd, accounts=accounts, problems=problems, pending=len(later))


UNIT_HEADERS = {"name": ("单位", "单位名称", "预算单位", "部门（单位）名称", "unit", "name"),
                "region": ("地区", "区域", "所属地区", "region"), "contact": ("联系人", "联系方式", "联系电话", "contact")}


def read_unit_list(raw: bytes, name: str) -> tuple[list[tuple[str, str, str]], list[str]]:
    """Units from a CSV (UTF-8 or GB18030) or an xlsx list, by its header row."""
    from perfrules.engine.errors import Location, error
    if len(raw) > MAX_FILE_BYTES:
        raise error("名单文件过大", Location(name), "名单只需单位名称、地区、联系人三列", code="E-FILE")
    suffix = work.suffix_of(name)
    if suffix == ".xlsx":
        rows = _xlsx_rows(raw, name)
    elif suffix in (".csv", ".txt"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise error("名单不是 UTF-8 或 GB18030 编码的文本", Location(name), "用 Excel 另存为“CSV UTF-8”", code="E-FILE")
        rows = list(csv.reader(io.StringIO(text)))
    else:
        raise error(f"不接受“{suffix or '无扩展名'}”名单", Location(name), "请上传 .csv 或 .xlsx", code="E-FILE")
    header_at, columns = None, {}
    for i, row in enumerate(rows[:10]):
        cells = [str(c or "").strip() for c in row]
        found = {key: cells.index(h) for key, names in UNIT_HEADERS.items() for h in names if h in cells}
        if "name" in found:
            header_at, columns = i, found
            break
    if header_at is None:
        raise error("名单中找不到“单位名称”列", Location(name), "第一行写表头：单位名称、地区、联系人", code="E-FILE")
    out, problems, seen = [], [], set()
    for n, row in enumerate(rows[header_at + 1:], start=header_at + 2):
        cells = [str(c or "").strip() for c in row]
        get = lambda key: cells[columns[key]][:200] if key in columns and columns[key] < len(cells) else ""  # noqa: E731
        unit = get("name")
        if not unit:
            if any(cells):
                problems.append(f"第 {n} 行没有单位名称，未加入")
            continue
        if unit in seen:
            problems.append(f"第 {n} 行“{unit}”重复，只加入一次")
            continue
        seen.add(unit)
        out.append((unit, get("region"), get("contact")))
    return out[:2000], problems


def _xlsx_rows(raw: bytes, name: str) -> list[list[Any]]:
    from perfrules.engine.formats.safezip import check_office_file
    with work.as_file(raw, ".xlsx") as path:
        check_office_file(path, name, "xlsx")
        from openpyxl import load_workbook
        try:
            wb = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 - a damaged workbook is the user's file problem
            from perfrules.engine.errors import Location, error
            raise error(f"名单工作簿无法打开（{type(exc).__name__}）", Location(name), "用 Excel 重新保存后再试",
                        code="E-FILE") from exc
        try:
            return [list(r) for r in wb.worksheets[0].iter_rows(max_row=5000, values_only=True)]
        finally:
            wb.close()


@access("bureau")
def unit_password(rid: int, unit_id: int) -> Any:
    rnd = round_or_404(rid)
    unit = db().get(Unit, unit_id)
    user = db().scalars(select(User).where(User.unit_id == unit_id)).first() if unit else None
    if user is None:
        abort(404)
    ask = unconfirmed(f"重置“{unit.name}”的密码？", "原密码立即失效，该账号已登录的会话全部结束。\n新密码只在下一页显示一次，请打印或转交单位。",
                      "重置密码", url_for("round_view", rid=rnd.id))
    if ask is not None:
        return ask
    password = security.new_password()
    user.password_hash, user.session_epoch = security.hash_password(password), user.session_epoch + 1
    audit("password", f"重置 {unit.name} 的密码", rnd.id)
    db().commit()
    return render_template("accounts.html", rnd=rnd, problems=[],
                           accounts=[{"unit": unit.name, "username": user.username, "password": password, "new": True}])


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
        deadline = dt.date.fromisoformat(request.form["deadline"]) if request.form.get("deadline") else None
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
        deadline = dt.date.fromisoformat(request.form["deadline"]) if request.form.get("deadline") else None
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
        made = 0
        for r in entry_rows(rnd):
            up = r["upload"]
            if up is None or scoring_of(up.id, after.ref) is not None:
                continue
            blob = _ext()["blobs"].get(up.sha256)
            record = _ext()["scorer"].run(work.score_upload, blob, up.suffix, up.filename, after.ref, _ext()["dirs"],
                                          on_limit=lambda reason, b=blob, n=up.filename: work.limit_record(b, n, after.ref, reason))
            db().add(Scoring(upload_id=up.id, **record))
            made += 1
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


@access("bureau")
def audit_view() -> Any:
    """The audit log, newest first, in Chinese; filtered by account, action and dates; as CSV for the archive."""
    args = request.args
    query = select(Audit).order_by(Audit.id.desc())
    who, action = (args.get("who") or "").strip(), (args.get("action") or "").strip()
    if who:
        query = query.where(Audit.username == who)
    if action in ACTION_LABELS:
        query = query.where(Audit.action == action)
    try:
        start = dt.date.fromisoformat(args["from"]) if args.get("from") else None
        end = dt.date.fromisoformat(args["to"]) if args.get("to") else None
    except ValueError:
        return _message(400, "日期有误", "请用日期选择框（如 2026-03-31）。")
    if start:   # dates are the server's local days; times are stored in UTC
        query = query.where(Audit.at >= _utc_midnight(start))
    if end:
        query = query.where(Audit.at < _utc_midnight(end + dt.timedelta(days=1)))
    if args.get("format") == "csv":
        audit("download", "导出操作记录（CSV）" + (f"：{_filters_text(who, action, start, end)}" if who or action or start or end else ""))
        db().commit()
        return _download(_audit_csv(db().scalars(query.limit(200_000)).all()), "操作记录.csv", "text/csv; charset=utf-8")
    before = args.get("before", type=int)
    if before:
        query = query.where(Audit.id < before)
    items = db().scalars(query.limit(200)).all()
    names = db().scalars(select(Audit.username).distinct().order_by(Audit.username)).all()
    return render_template("audit.html", items=items, actions=ACTION_LABELS, names=[n for n in names if n],
                           filters={"who": who, "action": action, "from": args.get("from", ""), "to": args.get("to", "")})


def _utc_midnight(day: dt.date) -> dt.datetime:
    local = dt.datetime.combine(day, dt.time()).astimezone()
    return local.astimezone(dt.timezone.utc).replace(tzinfo=None)


def _filters_text(who: str, action: str, start: dt.date | None, end: dt.date | None) -> str:
    parts = [f"账号 {who}" if who else "", f"操作 {ACTION_LABELS.get(action, '')}" if action else "",
             f"自 {when(start)}" if start else "", f"至 {when(end)}" if end else ""]
    return "，".join(p for p in parts if p)


def _audit_csv(items: list[Audit]) -> bytes:
    """UTF-8 with a BOM (Excel opens it as Chinese), one row per record, the action in Chinese beside its key;
    a cell that would start a formula is quoted as text."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["时间", "账号", "操作", "操作代码", "轮次", "内容", "地址"])
    for a in items:
        writer.writerow([_csv_text(x) for x in (when(a.at), a.username, ACTION_LABELS.get(a.action, a.action), a.action,
                                                a.round_id or "", a.detail, a.address)])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _csv_text(value: object) -> str:
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
