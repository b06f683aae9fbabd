"""A unit's entry in a round, as the unit and the bureau see it: the scorecard, the form, the files and
reports; and what only the unit does: upload and submit."""

from __future__ import annotations

from typing import Any

from flask import abort, g, redirect, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from perfrules.engine.dates import today
from perfrules.engine.errors import PerfrulesError
from perfrules.engine.limits import MAX_FILE_BYTES

from . import work
from .common import (_download, _ext, _message, access, audit, current, db, entry_for, scoring_of, status_of,
                     unconfirmed, upload_for)
from .db import Blob, Entry, Round, Scoring, Unit, Upload, now


@access("user")
def entry_view(eid: int) -> Any:
    entry = entry_for(eid)
    rnd, unit = db().get(Round, entry.round_id), db().get(Unit, entry.unit_id)
    uploads = db().scalars(select(Upload).where(Upload.entry_id == entry.id).order_by(Upload.version.desc())).all()
    scorings = {u.id: scoring_of(u.id, rnd.ruleset_ref) for u in uploads}
    latest = uploads[0] if uploads else None
    current = scorings.get(latest.id) if latest else None
    shown_id = request.args.get("version", type=int)
    shown = next((u for u in uploads if u.version == shown_id), latest)
    shown_scoring = scorings.get(shown.id) if shown else None
    result = work.load_result(shown_scoring.result) if shown_scoring else {}
    status = status_of(entry, current)
    from .changes import unit_mismatch, version_changes
    mismatch = unit_mismatch((result.get("row") or {}).get("unit"), unit.name) if result.get("row") else None
    previous = next((u for u in uploads if shown and u.version < shown.version), None)
    earlier = scorings.get(previous.id) if previous else None
    before = work.load_result(earlier.result) if earlier is not None else {}
    changes = version_changes(before["card"], result["card"]) if before.get("card") and result.get("card") else None
    can_upload = g.user.role == "unit" and rnd.closed_at is None and entry.state in ("open", "returned")
    can_submit = can_upload and current is not None and current.ok and current.errors == 0
    return render_template("entry.html", entry=entry, rnd=rnd, unit=unit, uploads=uploads, scorings=scorings,
                           shown=shown, scoring=shown_scoring, result=result, status=status, latest=latest,
                           can_upload=can_upload, can_submit=can_submit, suffixes="、".join(work.SHOWN_SUFFIXES),
                           accept=",".join(work.UPLOAD_SUFFIXES),
                           late=bool((entry.deadline or rnd.deadline) and today() > (entry.deadline or rnd.deadline)),
                           mismatch=mismatch, changes=changes, previous=previous)


@access("user")
def entry_form(eid: int) -> Any:
    entry = entry_for(eid)
    rnd, unit = db().get(Round, entry.round_id), db().get(Unit, entry.unit_id)
    data = work.blank_form(rnd.ruleset_ref, unit.name, rnd.year, unit.region or None, _ext()["dirs"])
    audit("form", "下载自评表", rnd.id, entry.id)
    db().commit()
    return _download(data, f"{rnd.year}年度绩效自评表-{work.safe_member(unit.name)}.xlsx",
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@access("user")
def upload_file(uid: int) -> Any:
    upload, entry = upload_for(uid)
    audit("download", f"下载原文件 v{upload.version}", entry.round_id, entry.id)
    db().commit()
    return _download(_ext()["blobs"].get(upload.sha256), upload.filename, "application/octet-stream")


REPORT_TYPES = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "pdf": "application/pdf"}


@access("user")
def upload_report(uid: int, fmt: str) -> Any:
    upload, entry = upload_for(uid)
    if fmt not in REPORT_TYPES:
        abort(404)
    rnd, unit = db().get(Round, entry.round_id), db().get(Unit, entry.unit_id)
    try:
        data = _ext()["scorer"].run(work.report, _ext()["blobs"].get(upload.sha256), upload.suffix, upload.filename,
                                    rnd.ruleset_ref, fmt, _ext()["dirs"])
    except PerfrulesError as exc:
        return _message(422, "无法生成报告", str(exc.first))
    audit("report", f"下载报告 v{upload.version} .{fmt}", entry.round_id, entry.id)
    db().commit()
    return _download(data, f"{rnd.year}年度绩效自评报告-{work.safe_member(unit.name)}.{fmt}", REPORT_TYPES[fmt])


# ------------------------------------------------------------------------------------------ views: a unit

@access("unit")
def my() -> Any:
    rows = []
    for entry, rnd in db().execute(select(Entry, Round).join(Round, Round.id == Entry.round_id)
                                   .where(Entry.unit_id == g.user.unit_id).order_by(Round.year.desc(), Round.id.desc())).all():
        upload, scoring = current(entry, rnd)
        rows.append({"entry": entry, "rnd": rnd, "upload": upload, "scoring": scoring, "status": status_of(entry, scoring)})
    return render_template("my.html", rows=rows, unit=db().get(Unit, g.user.unit_id))


@access("unit")
def entry_upload(eid: int) -> Any:
    entry = entry_for(eid)
    rnd = db().get(Round, entry.round_id)
    if rnd.closed_at is not None:
        return _message(409, "本轮自评已结束", "财政局已关闭本轮，不再接收上传。")
    if entry.state not in ("open", "returned"):
        return _message(409, "已送审，不能再上传", "送审后如需修改，请联系财政局退回。")
    file = request.files.get("file")
    if file is None or not file.filename:
        return _message(400, "没有选择文件", "请选择自评表（.xlsx）、评价报告（.docx）或 YAML/JSON 文件后再上传。")
    name = work.shown_name(file.filename)
    suffix = work.suffix_of(name)
    if suffix not in work.UPLOAD_SUFFIXES:
        return _message(400, f"不接受“{suffix or '无扩展名'}”文件",
                        "请上传自评表（.xlsx）、评价报告（.docx）或 YAML/JSON 格式的自评数据。")
    data = file.stream.read(2 * MAX_FILE_BYTES + 1)
    record = _ext()["scorer"].run(work.score_upload, data, suffix, name, rnd.ruleset_ref, _ext()["dirs"],
                                  on_limit=lambda reason: work.limit_record(data, name, rnd.ruleset_ref, reason))
    sha = _ext()["blobs"].put(data)
    for _attempt in range(5):   # two uploads at once by the same unit: the second takes the next version
        try:
            # Uploads to one entry take their versions one at a time, whichever server process takes them
            # (a row lock on PostgreSQL; SQLite has one writer anyway); the retry is the net under it.
            db().execute(select(Entry.id).where(Entry.id == entry.id).with_for_update())
            if db().get(Blob, sha) is None:
                db().add(Blob(sha256=sha, size=len(data)))
            version = (db().scalar(select(func.max(Upload.version)).where(Upload.entry_id == entry.id)) or 0) + 1
            upload = Upload(entry_id=entry.id, version=version, filename=name, suffix=suffix, sha256=sha, size=len(data),
                            uploaded_by=g.user.id)
            db().add(upload)
            db().flush()
            db().add(Scoring(upload_id=upload.id, **record))
            entry.updated_at = now()
            outcome = (f"规则总分 {record['total']}（{record['grade']}），错误 {record['errors']}" if record["ok"]
                       else "无法评分")
            audit("upload", f"{name} v{version} sha256 {sha[:12]}…：{outcome}", rnd.id, entry.id)
            db().commit()
            break
        except IntegrityError:
            db().rollback()
    else:
        return _message(409, "上传冲突", "同时有另一份上传，请刷新页面后重试。")
    return redirect(url_for("entry_view", eid=entry.id) + "#result")


@access("unit")
def entry_submit(eid: int) -> Any:
    entry = entry_for(eid)
    rnd = db().get(Round, entry.round_id)
    upload, scoring = current(entry, rnd)
    if rnd.closed_at is not None or entry.state not in ("open", "returned"):
        return _message(409, "不能送审", "本轮已结束，或已送审。")
    if upload is None or scoring is None or not scoring.ok or scoring.errors:
        return _message(409, "还有错误，不能送审", "请按页面上的错误修改自评表后重新上传。")
    ask = unconfirmed(f"送审 v{upload.version}（{upload.filename}）？",
                      f"规则总分 {scoring.total}（{scoring.grade}）。送审后不能再上传；如需修改，请联系财政局退回。",
                      "送审", url_for("entry_view", eid=entry.id))
    if ask is not None:
        return ask
    entry.state, entry.submitted_upload_id, entry.updated_at = "submitted", upload.id, now()
    audit("submit", f"送审 v{upload.version}（规则总分 {scoring.total}，{scoring.grade}）", rnd.id, entry.id)
    db().commit()
    return redirect(url_for("entry_view", eid=entry.id))
