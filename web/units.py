"""The bureau's units: adding them one by one or from a list (each new one gets an account), their
passwords, renaming and retiring them with their history kept, and the list of those not yet submitted."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from flask import abort, redirect, render_template, request, url_for
from sqlalchemy import select

from perfrules.engine.dates import today
from perfrules.engine.errors import PerfrulesError
from perfrules.engine.limits import MAX_FILE_BYTES

from . import security, work
from .common import (ROLE_LABELS, STATUS, _download, _ext, _message, access, audit, db, round_or_404, round_summary,
                     unconfirmed, when)
from .auditlog import _csv_text
from .db import Entry, Unit, User, now
from .hashing import PENDING


# ------------------------------------------------------------------------------------------ views: the bureau


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
