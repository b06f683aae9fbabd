"""The audit log as the bureau reads it: in Chinese, filtered by account, action and dates, and as CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from flask import render_template, request
from sqlalchemy import select


from .common import ACTION_LABELS, _download, _message, access, audit, db, when
from .db import Audit


# ------------------------------------------------------------------------------------------ views: the bureau


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
