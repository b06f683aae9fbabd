"""What every view of `perfrules serve` uses: the access declaration, the request's database session, the
audit log, messages, how dates and numbers are shown, and the lookups that answer 404 for another unit's
objects. The views are split by who uses them: auth.py (signing in, passwords, the bureau's accounts),
entries.py (a unit's entry: upload, submit, its files and reports), bureau.py (rounds: open, follow,
return, review, close, export, replay), units.py (units and their accounts), auditlog.py (the audit log)
and standards.py (评分标准). The route table and its access check are in app.py, in one place.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Callable

from flask import Response, abort, g, render_template, request
from sqlalchemy import and_, func, select
from sqlalchemy.orm import defer

from perfrules.engine.methods import fmt

from . import work
from .db import Audit, Entry, Round, Scoring, Unit, Upload, User

ROLE_LABELS = {"bureau": "财政局", "reviewer": "复核机构", "unit": "预算单位"}
STATUS = {"empty": "未填报", "errors": "有错误", "ready": "待送审", "submitted": "已送审", "returned": "已退回",
          "reviewed": "已复核"}
STATUS_ORDER = ["empty", "errors", "ready", "submitted", "returned", "reviewed"]
# The audit log's actions in Chinese (stored in English, a stable key; shown, filtered and exported in Chinese).
ACTION_LABELS = {
    "login": "登录", "login-failed": "登录失败", "logout": "退出", "password": "修改或重置密码", "account": "建立账号",
    "round": "建立轮次", "edit": "修改轮次", "deadline": "延长截止日期", "close": "结束轮次", "reopen": "重新开放轮次",
    "units": "加入单位", "upload": "上传", "submit": "送审", "return": "退回", "review": "复核",
    "form": "下载自评表", "report": "下载报告", "download": "下载文件", "export": "导出", "replay": "重新评分",
    "standard": "上传评分标准", "publish": "发布评分标准", "unit": "修改单位",
}


def access(level: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def mark(view: Callable[..., Any]) -> Callable[..., Any]:
        view.access = level  # type: ignore[attr-defined]
        return view
    return mark


def _ext(app: Any = None) -> dict[str, Any]:
    from flask import current_app
    return (app or current_app).extensions["perfrules"]


def db() -> Any:
    if "db" not in g:
        g.db = _ext()["Session"]()
    return g.db


def audit(action: str, detail: str = "", round_id: int | None = None, entry_id: int | None = None) -> None:
    user = g.get("user")
    db().add(Audit(user_id=user.id if user else None, username=user.username if user else "", action=action,
                   round_id=round_id, entry_id=entry_id, detail=detail[:2000], address=request.remote_addr or ""))


def _message(status: int, title: str, text: str) -> Any:
    return render_template("message.html", title=title, text=text), status


def when(value: dt.datetime | dt.date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        local = value.replace(tzinfo=dt.timezone.utc).astimezone()
        return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
    return f"{value.year}年{value.month}月{value.day}日"


def fmt_num(value: Any) -> str:
    text = "" if value is None else str(value)   # an undefined value (no row yet) is ""
    return fmt(Decimal(text)) if text else ""


# ------------------------------------------------------------------------------------------ lookups

def round_or_404(rid: int) -> Round:
    rnd = db().get(Round, rid)
    if rnd is None:
        abort(404)
    return rnd


def entry_for(eid: int) -> Entry:
    """The entry, if the current account may see it (the bureau: any; a unit: its own); else 404."""
    entry = db().get(Entry, eid)
    if entry is None or (g.user.role == "unit" and entry.unit_id != g.user.unit_id):
        abort(404)
    return entry


def upload_for(uid: int) -> tuple[Upload, Entry]:
    upload = db().get(Upload, uid)
    if upload is None:
        abort(404)
    return upload, entry_for(upload.entry_id)


def current(entry: Entry, rnd: Round) -> tuple[Upload | None, Scoring | None]:
    """An entry's latest upload (the one that counts) and its scoring under the round's ruleset."""
    upload = latest_upload(entry.id)
    return upload, scoring_of(upload.id, rnd.ruleset_ref) if upload else None


def latest_upload(entry_id: int) -> Upload | None:
    return db().scalars(select(Upload).where(Upload.entry_id == entry_id).order_by(Upload.version.desc()).limit(1)).first()


def scoring_of(upload_id: int, ref: str) -> Scoring | None:
    return db().scalars(select(Scoring).where(Scoring.upload_id == upload_id, Scoring.ruleset_ref == ref)
                        .order_by(Scoring.id.desc()).limit(1)).first()


def status_of(entry: Entry, scoring: Scoring | None) -> str:
    if entry.state in ("submitted", "returned", "reviewed"):
        return entry.state
    if scoring is None:
        return "empty"
    return "errors" if not scoring.ok or scoring.errors else "ready"


def entry_rows(rnd: Round) -> list[dict[str, Any]]:
    """Each unit of a round with its latest upload, that upload's scoring under the round's ruleset, and status."""
    out = []
    entries = db().execute(select(Entry, Unit).join(Unit, Unit.id == Entry.unit_id).where(Entry.round_id == rnd.id)
                           .order_by(Unit.name)).all()
    for entry, unit in entries:
        upload, scoring = current(entry, rnd)
        result = work.load_result(scoring.result) if scoring else {}
        row = result.get("row") or {}
        from .changes import unit_mismatch
        deadline = entry.deadline or rnd.deadline
        late = bool(deadline and upload is not None and upload.uploaded_at.date() > deadline)
        out.append({"entry": entry, "unit": unit, "upload": upload, "scoring": scoring, "row": row,
                    "status": status_of(entry, scoring), "late": late,
                    "mismatch": unit_mismatch(row.get("unit"), unit.name) if row else None})
    return out


def _download(data: bytes, name: str, mimetype: str) -> Response:
    from urllib.parse import quote
    resp = Response(data, mimetype=mimetype)
    ascii_name = "".join(ch if ch.isascii() and ch.isalnum() or ch in "-_." else "_" for ch in name)
    resp.headers["Content-Disposition"] = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    return resp


PAGE_SIZE = 50


def round_summary(rnd: Round) -> list[dict[str, Any]]:
    """Every unit of a round with its account, latest upload, that upload's scoring under the round's ruleset
    (without its stored result), status and lateness: three queries whatever the round's size. The result
    JSON is read only for the rows a page shows (`with_results`)."""
    latest = (select(Upload.entry_id, func.max(Upload.version).label("v")).join(Entry, Entry.id == Upload.entry_id)
              .where(Entry.round_id == rnd.id).group_by(Upload.entry_id).subquery())
    rows = db().execute(
        select(Entry, Unit, Upload).join(Unit, Unit.id == Entry.unit_id)
        .outerjoin(latest, latest.c.entry_id == Entry.id)
        .outerjoin(Upload, and_(Upload.entry_id == Entry.id, Upload.version == latest.c.v))
        .where(Entry.round_id == rnd.id).order_by(Unit.name)).all()
    best = (select(func.max(Scoring.id)).join(Upload, Upload.id == Scoring.upload_id).join(Entry, Entry.id == Upload.entry_id)
            .where(Entry.round_id == rnd.id, Scoring.ruleset_ref == rnd.ruleset_ref).group_by(Scoring.upload_id))
    scorings = {s.upload_id: s for s in db().scalars(select(Scoring).options(defer(Scoring.result))
                                                     .where(Scoring.id.in_(best.scalar_subquery())))}
    accounts = dict(db().execute(select(User.unit_id, User.username).join(Entry, Entry.unit_id == User.unit_id)
                                 .where(Entry.round_id == rnd.id)).all())
    out = []
    for entry, unit, upload in rows:
        scoring = scorings.get(upload.id) if upload is not None else None
        deadline = entry.deadline or rnd.deadline
        out.append({"entry": entry, "unit": unit, "upload": upload, "scoring": scoring, "row": {},
                    "status": status_of(entry, scoring), "username": accounts.get(unit.id, ""),
                    "late": bool(deadline and upload is not None and upload.uploaded_at.date() > deadline),
                    "mismatch": None})
    return out


def with_results(rows: list[dict[str, Any]]) -> None:
    """Read the stored result of the given rows (one query) and what it says: the row, a file naming another unit."""
    from .changes import unit_mismatch
    ids = [r["scoring"].id for r in rows if r["scoring"] is not None]
    texts = dict(db().execute(select(Scoring.id, Scoring.result).where(Scoring.id.in_(ids))).all()) if ids else {}
    for r in rows:
        if r["scoring"] is not None:
            r["row"] = work.load_result(texts.get(r["scoring"].id, "{}")).get("row") or {}
            r["mismatch"] = unit_mismatch(r["row"].get("unit"), r["unit"].name) if r["row"] else None


def unconfirmed(title: str, text: str, button: str, back: str) -> Any | None:
    """An action that cannot be undone, or not easily, takes a step of its own: the first POST shows what will
    happen and a 确认 button that posts the same form again with confirm=yes (no script needed). None when the
    request is that confirmation."""
    if request.form.get("confirm") == "yes":
        return None
    fields = [(k, v) for k, v in request.form.items(multi=True) if k not in ("csrf", "confirm")]
    return render_template("confirm.html", title=title, text=text, button=button, action=request.path,
                           fields=fields, back=back)


def score_round_under(rnd: Round, ref: str, dirs: tuple[str, ...]) -> int:
    """Score every unit's latest upload in `rnd` under ruleset `ref` (an id@version), beside its earlier
    scorings, where it has none under `ref` yet; how many were scored. Used by replay and by publishing."""
    made = 0
    for r in entry_rows(rnd):
        up = r["upload"]
        if up is None or scoring_of(up.id, ref) is not None:
            continue
        blob = _ext()["blobs"].get(up.sha256)
        record = _ext()["scorer"].run(work.score_upload, blob, up.suffix, up.filename, ref, dirs,
                                      on_limit=lambda reason, b=blob, n=up.filename: work.limit_record(b, n, ref, reason))
        db().add(Scoring(upload_id=up.id, **record))
        made += 1
    return made


def date_field(name: str = "deadline") -> dt.date | None:
    """A date a form sends from a date picker (blank: none); ValueError when it is not a date."""
    text = request.form.get(name)
    return dt.date.fromisoformat(text) if text else None
