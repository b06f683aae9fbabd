"""`perfrules serve`: a county's self-evaluation round on one intranet machine.

Flask (WSGI) behind waitress: scoring is synchronous CPU work, so a threaded WSGI server fits it, and both are
pure Python and run the same on Windows and Linux. Pages are rendered on the server by Jinja2 in its sandbox
with autoescaping, and work without JavaScript; the one scripted page is the review page of `batch`, reused.

Access is declared on every view (`@access("bureau")`, `"unit"`, `"user"` for both, `"public"`); a view
without a declaration answers 403. Objects are fetched through `entry_for` and `upload_for`, which answer
404 when the object belongs to another unit, so no route can hand one unit another's data.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import os
import posixpath
import re
from decimal import Decimal
from pathlib import Path as FsPath
from typing import Any, Callable

from flask import Flask, Response, abort, current_app, g, redirect, render_template, request, session, url_for
from flask.templating import Environment as FlaskEnvironment
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from perfrules.engine.dates import today
from perfrules.engine.errors import PerfrulesError
from perfrules.engine.limits import MAX_FILE_BYTES
from perfrules.engine.submission import KIND_LABELS

from . import security, standards, work
from .common import (ROLE_LABELS, STATUS, STATUS_ORDER, _ext, _message, access, audit, current, db, entry_for,
                     entry_rows, fmt_num, round_or_404, scoring_of, status_of, upload_for, when, _download)
from .db import Audit, Blob, Entry, Round, Scoring, Unit, Upload, User, database_url, now, open_database

log = logging.getLogger("perfrules.serve")

SESSION_HOURS = 8


class SandboxedFlaskEnvironment(SandboxedEnvironment, FlaskEnvironment):
    """Flask's template environment (url_for, the app's loader) inside Jinja2's sandbox."""


class App(Flask):
    jinja_environment = SandboxedFlaskEnvironment


def create_app(data_dir: str | os.PathLike[str], db_url: str | None = None, ruleset_dirs: tuple[str, ...] = (),
               secure_cookies: bool = False, testing: bool = False, workers: int = 0) -> App:
    data = FsPath(data_dir)
    data.mkdir(parents=True, exist_ok=True)
    spool = data / "tmp"
    work.clean_spool(spool)   # what a killed server left in the middle of a scoring
    work.set_spool(spool)
    engine, Session = open_database(database_url(data, db_url))
    app = App(__name__, template_folder="templates", static_folder="static")
    app.config.update(
        SECRET_KEY=_secret_key(data), SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure_cookies, SESSION_COOKIE_NAME="perfrules_session",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=SESSION_HOURS),
        # Twice the engine's file limit: a file just over it still reaches the engine and gets its message.
        MAX_CONTENT_LENGTH=2 * MAX_FILE_BYTES + 64 * 1024, MAX_FORM_MEMORY_SIZE=64 * 1024, TESTING=testing,
        TEMPLATES_AUTO_RELOAD=False,
    )
    app.jinja_env.autoescape = True
    published = standards.folder(data, "published")   # the bureau's published 评分标准, first on the path
    published.mkdir(parents=True, exist_ok=True)
    app.extensions["perfrules"] = {"engine": engine, "Session": Session, "blobs": work.BlobStore(data / "blobs"),
                                   "dirs": (str(published), *ruleset_dirs), "throttle": security.Throttle(), "data": data,
                                   "scorer": work.Scorer(workers, spool=spool)}
    _install(app)
    standards.publish_all(app)
    return app


def _secret_key(data: FsPath) -> bytes:
    """The key that signs session cookies: made once, kept in the data folder readable by its owner only."""
    path = data / "secret.key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(os.urandom(32))
    return path.read_bytes()


def ensure_first_account(app: App, username: str = "admin") -> str | None:
    """When there is no account at all, make a bureau account and return its password (shown once)."""
    with _ext(app)["Session"]() as db:
        if db.scalar(select(func.count()).select_from(User)):
            return None
        password = security.new_password()
        db.add(User(username=username, password_hash=security.hash_password(password), role="bureau",
                    label=ROLE_LABELS["bureau"], session_epoch=0, active=True))
        db.add(Audit(action="account", username="perfrules", detail=f"首次启动：建立财政局账号 {username}"))
        db.commit()
        return password


# ------------------------------------------------------------------------------------------ request cycle

def _install(app: App) -> None:
    @app.before_request
    def load_user() -> Any:
        _utf8_file_names()
        g.user = None
        uid = session.get("uid")
        if uid is not None:
            user = db().get(User, uid)
            if user is not None and user.active and session.get("epoch") == user.session_epoch:
                g.user = user
            else:
                session.clear()
        if request.endpoint is None:
            return None   # 404 / 405: answered by the error handlers
        if request.endpoint == "static":
            return None
        level = getattr(app.view_functions.get(request.endpoint), "access", None)
        if level != "public":
            if g.user is None:
                return _login_page(403, "请先登录。")
            allowed = {"user": ("bureau", "unit"), "bureau": ("bureau",), "unit": ("unit",)}.get(level or "", ())
            if g.user.role not in allowed:
                abort(403)
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            sent = request.form.get("csrf") or request.headers.get("X-CSRF-Token")
            if not security.same_token(sent, session.get("csrf")):
                return _message(400, "表单已过期或来源不明", "请返回上一页，刷新后重新提交。")
        return None

    @app.teardown_request
    def close_db(exc: BaseException | None) -> None:
        session_ = g.pop("db", None)
        if session_ is not None:
            if exc is not None:
                session_.rollback()
            session_.close()

    @app.after_request
    def secure(resp: Response) -> Response:
        csp = g.get("csp") or security.PAGE_CSP
        for key, value in security.headers(csp, private=request.endpoint != "static").items():
            resp.headers.setdefault(key, value)
        return resp

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        texts = {400: ("请求有误", "请返回上一页重试。"), 403: ("没有权限", "当前账号不能访问此页面。"),
                 404: ("找不到页面", "地址有误，或该内容不属于当前账号。"), 405: ("不支持的操作", "请从页面上的按钮操作。"),
                 413: ("文件过大", f"上传的文件不能超过 {MAX_FILE_BYTES // (1024 * 1024)} MB。自评数据不会这么大：请确认选择了正确的文件。"),
                 429: ("尝试次数过多", "请稍后再试。")}
        title, text = texts.get(exc.code or 500, ("请求未能完成", "请返回上一页重试。"))
        return _message(exc.code or 500, title, text)

    @app.errorhandler(PerfrulesError)
    def user_error(exc: PerfrulesError) -> Any:   # e.g. the round's ruleset file was broken on disk since
        return _message(422, "无法完成：规则集或文件有问题", str(exc.first))

    @app.errorhandler(Exception)
    def internal_error(exc: Exception) -> Any:   # never a stack trace in a response; the log has it
        log.exception("internal error on %s %s", request.method, request.path)
        return _message(500, "服务器内部错误", "这是 perfrules 的缺陷，已记录在服务器日志中；请告知管理员。")

    @app.context_processor
    def helpers() -> dict[str, Any]:
        def csrf() -> str:
            if "csrf" not in session:
                session["csrf"] = security.new_token()
            return str(session["csrf"])
        return {"csrf": csrf, "user": g.get("user"), "role_label": ROLE_LABELS, "status_label": STATUS,
                "kind_label": KIND_LABELS, "when": when, "fmt_num": fmt_num}

    for rule, endpoint, view, methods in ROUTES:
        app.add_url_rule(rule, endpoint, view, methods=methods)


def _login_page(status: int, note: str = "", back: str | None = None) -> Any:
    """The login form; after logging in, back to the page that asked for it (a GET page of this server)."""
    if back is None:
        back = request.full_path if request.method == "GET" and request.endpoint != "login" else ""
    return render_template("login.html", note=note, next=_safe_next(back)), status


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _utf8_file_names() -> None:
    """An upload whose file name is not UTF-8 (GBK, from an old browser or system) makes Werkzeug drop the
    whole form without a word, which would read as a stale form. The names in the parts' headers (never the
    file's bytes) are re-encoded to UTF-8 from GB18030 before the form is parsed; a name that is neither
    becomes 未命名文件."""
    if request.mimetype != "multipart/form-data":
        return
    boundary = request.mimetype_params.get("boundary", "").encode("latin-1", "ignore")
    if not boundary:
        return
    body = request.get_data(cache=True, parse_form_data=False)
    marker = b"--" + boundary
    parts = body.split(marker)
    changed = False
    for i, part in enumerate(parts):
        head, sep, rest = part.partition(b"\r\n\r\n")
        if not sep:
            continue
        try:
            head.decode("utf-8")
            continue
        except UnicodeDecodeError:
            pass
        try:
            fixed = head.decode("gb18030").encode("utf-8")
        except UnicodeDecodeError:
            fixed = re.sub(rb'filename="[^"\r\n]*"', 'filename="未命名文件"'.encode("utf-8"), head)
        parts[i] = fixed + sep + rest
        changed = True
    if changed:
        request._cached_data = marker.join(parts)  # type: ignore[attr-defined]


def _wait_text(seconds: int) -> str:
    return f"{seconds} 秒" if seconds < 60 else f"{(seconds + 59) // 60} 分钟"


def _safe_next(target: str | None) -> str:
    """Only a GET page of this app may be returned to after login: the path, normalised, must be one the
    app's own URL map matches (never //host, a scheme, a backslash, or a tab a browser would drop to make
    `/\t/evil.example` into `//evil.example`). A control character is the request's fault: 400."""
    if not target:
        return ""
    if _CONTROL.search(target):
        abort(400)
    path, _, query = target.partition("?")
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return ""
    if path != "/" and posixpath.normpath(path) != path.rstrip("/"):   # /a/../b, /./x: not as written
        return ""
    try:
        adapter = current_app.url_map.bind("localhost")
        endpoint, _args = adapter.match(path, method="GET")
    except HTTPException:
        return ""
    if endpoint in ("login", "logout", "static"):
        return ""
    return path + ("?" + query if query else "")


# ------------------------------------------------------------------------------------------ views: everyone

@access("public")
def index() -> Any:
    if g.user is None:
        return redirect(url_for("login"))
    return redirect(url_for("rounds" if g.user.role == "bureau" else "my"))


@access("public")
def favicon() -> Any:
    return Response(status=204)   # browsers ask for it on every page; nothing to show


@access("public")
def login() -> Any:
    if request.method == "GET":
        return _login_page(200, back=request.args.get("next", ""))
    name = (request.form.get("username") or "").strip()[:100]
    password = request.form.get("password") or ""
    target = _safe_next(request.form.get("next"))   # a control character is refused before anything is done
    throttle: security.Throttle = _ext()["throttle"]
    address = request.remote_addr or ""
    user = db().scalars(select(User).where(User.username == name)).first() if name else None
    known = user is not None and user.active
    wait = throttle.blocked_for(name, address, known)
    if wait:
        return _login_page(429, f"登录失败次数过多，请 {_wait_text(wait)}后再试。", request.form.get("next", ""))
    # The password is checked against a hash whatever the name: an unknown name costs what a wrong password
    # costs (a dummy hash), so the time of the answer does not tell which names exist.
    matches = security.verify_password(user.password_hash if user is not None else None, password)
    if user is None or not known or not matches:
        throttle.failed(name, address, known)
        audit("login-failed", f"账号 {name}")
        db().commit()
        return _login_page(401, "账号或密码不正确。", request.form.get("next", ""))
    throttle.succeeded(name, address)
    if security.needs_rehash(user.password_hash):
        user.password_hash = security.hash_password(password)
    session.clear()
    session.permanent = True
    session.update(uid=user.id, epoch=user.session_epoch, csrf=security.new_token())
    g.user = user
    audit("login")
    db().commit()
    return redirect(target or url_for("index"))


@access("user")
def logout() -> Any:
    g.user.session_epoch += 1      # every cookie of this account stops working, not only this one
    audit("logout")
    db().commit()
    session.clear()
    return redirect(url_for("login"))


@access("user")
def password() -> Any:
    if request.method == "GET":
        return render_template("password.html", note="")
    old, new, again = (request.form.get(k) or "" for k in ("old", "new", "again"))
    if not security.verify_password(g.user.password_hash, old):
        return render_template("password.html", note="原密码不正确。"), 400
    if len(new) < 10 or new != again:
        return render_template("password.html", note="新密码至少 10 个字符，且两次输入一致。"), 400
    g.user.password_hash = security.hash_password(new)
    g.user.session_epoch += 1
    audit("password", "修改本人密码")
    db().commit()
    session.update(epoch=g.user.session_epoch)
    return _message(200, "密码已修改", "其他已登录的会话已失效。")


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
    can_upload = g.user.role == "unit" and rnd.closed_at is None and entry.state in ("open", "returned")
    can_submit = can_upload and current is not None and current.ok and current.errors == 0
    return render_template("entry.html", entry=entry, rnd=rnd, unit=unit, uploads=uploads, scorings=scorings,
                           shown=shown, scoring=shown_scoring, result=result, status=status, latest=latest,
                           can_upload=can_upload, can_submit=can_submit, suffixes="、".join(work.UPLOAD_SUFFIXES[:6]),
                           late=bool(rnd.deadline and today() > rnd.deadline))


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
    for _attempt in range(3):   # two uploads at once by the same unit: the second takes the next version
        try:
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
    entry.state, entry.submitted_upload_id, entry.updated_at = "submitted", upload.id, now()
    audit("submit", f"送审 v{upload.version}（规则总分 {scoring.total}，{scoring.grade}）", rnd.id, entry.id)
    db().commit()
    return redirect(url_for("entry_view", eid=entry.id))


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
    try:
        rs = work.ruleset(ref, _ext()["dirs"])
    except PerfrulesError as exc:
        return _message(400, "规则集不可用", str(exc.first))
    kind = form.get("kind") or (rs.applies_to.get("kinds") or ["unit-overall"])[0]
    if kind not in KIND_LABELS:
        abort(400)
    rnd = Round(title=title, year=year, kind=kind, ruleset_ref=rs.ref, ruleset_sha256=rs.sha256, deadline=deadline,
                created_by=g.user.id)
    db().add(rnd)
    db().flush()
    audit("round", f"建立轮次“{title}”（{year} 年度，{rs.ref}）", rnd.id)
    db().commit()
    return redirect(url_for("round_view", rid=rnd.id))


@access("bureau")
def round_view(rid: int) -> Any:
    rnd = round_or_404(rid)
    rows = entry_rows(rnd)
    counts = {s: sum(r["status"] == s for r in rows) for s in STATUS_ORDER}
    wanted = request.args.get("status")
    shown = [r for r in rows if r["status"] == wanted] if wanted in STATUS else rows
    refs = _ruleset_refs()
    current_sha = None
    try:
        current_sha = work.ruleset(rnd.ruleset_ref, _ext()["dirs"]).sha256
    except PerfrulesError:
        pass
    return render_template("round.html", rnd=rnd, rows=shown, counts=counts, order=STATUS_ORDER, wanted=wanted,
                           refs=refs, accounts=None, ruleset_changed=current_sha != rnd.ruleset_sha256)


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
    for name, region, contact in wanted:
        unit = db().scalars(select(Unit).where(Unit.name == name)).first()
        if unit is None:
            unit = Unit(name=name, region=region, contact=contact)
            db().add(unit)
            db().flush()
            password = security.new_password()
            username = f"dw{unit.id:04d}"
            db().add(User(username=username, password_hash=security.hash_password(password), role="unit",
                          label=ROLE_LABELS["unit"], unit_id=unit.id, session_epoch=0, active=True))
            accounts.append({"unit": name, "username": username, "password": password, "new": True})
        else:
            user = db().scalars(select(User).where(User.unit_id == unit.id)).first()
            accounts.append({"unit": name, "username": user.username if user else "", "password": "", "new": False})
        if db().scalars(select(Entry).where(Entry.round_id == rnd.id, Entry.unit_id == unit.id)).first() is None:
            db().add(Entry(round_id=rnd.id, unit_id=unit.id, state="open", comment=""))
    audit("units", f"加入 {len(wanted)} 个单位（新账号 {sum(a['new'] for a in accounts)} 个）", rnd.id)
    db().commit()
    return render_template("accounts.html", rnd=rnd, accounts=accounts, problems=problems)


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
    entry.state, entry.comment, entry.updated_at = "returned", comment, now()
    audit("return", f"退回：{comment}", entry.round_id, entry.id)
    db().commit()
    return redirect(url_for("entry_view", eid=entry.id))


@access("bureau")
def entry_review(eid: int) -> Any:
    entry = entry_for(eid)
    if entry.state != "submitted":
        return _message(409, "只能复核已送审的自评", "")
    entry.state, entry.updated_at = "reviewed", now()
    audit("review", "标记为已复核", entry.round_id, entry.id)
    db().commit()
    return redirect(url_for("entry_view", eid=entry.id))


@access("bureau")
def round_close(rid: int) -> Any:
    rnd = round_or_404(rid)
    if rnd.closed_at is None:
        rnd.closed_at = now()
        audit("close", f"关闭轮次“{rnd.title}”", rnd.id)
        db().commit()
    return redirect(url_for("round_view", rid=rnd.id))


def _county(rnd: Round) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    rows, failed, entries = [], [], entry_rows(rnd)
    for r in entries:
        if r["scoring"] is None:
            continue
        if r["row"]:   # named by unit and version: the county's files are unique, as batch's rows are
            rows.append({**r["row"], "file": f"{r['unit'].name}/v{r['upload'].version}/{r['upload'].filename}"})
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
    rows, failed, entries = _county(rnd)
    members = []
    for r in entries:
        if r["upload"] is None:
            continue
        data = _ext()["blobs"].get(r["upload"].sha256)
        unit = work.safe_member(r["unit"].name)
        members.append((f"自评文件/{unit}-v{r['upload'].version}{r['upload'].suffix}", data))
        if r["scoring"] is not None and r["scoring"].ok:
            try:
                members.append((f"评价报告/{unit}.docx", work.report(data, r["upload"].suffix, r["upload"].filename,
                                                                  rnd.ruleset_ref, "docx", _ext()["dirs"])))
            except PerfrulesError as exc:
                members.append((f"评价报告/{unit}-无法生成.txt", str(exc.first).encode("utf-8")))
    payload = work.export_zip(work.county_outputs(rows, failed, "xlsx"), members)
    audit("export", f"导出 {len(rows)} 个单位的汇总与报告", rnd.id)
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
def staff() -> Any:
    """The bureau's own accounts: another 财政局 user, or the 复核机构 (third-party reviewers) it hires. Both
    see and decide everything in every round; the label says who they are in the audit log."""
    if request.method == "POST":
        username = (request.form.get("username") or "").strip()
        label = request.form.get("label") or ""
        if not username or len(username) > 50 or not all(ch.isascii() and (ch.isalnum() or ch in "-_.") for ch in username):
            return _message(400, "账号名不合适", "账号用字母、数字和 - _ .，不超过 50 个字符。")
        if label not in ("财政局", "复核机构"):
            abort(400)
        if db().scalars(select(User).where(User.username == username)).first() is not None:
            return _message(409, "账号已存在", f"已有账号 {username}。")
        password = security.new_password()
        db().add(User(username=username, password_hash=security.hash_password(password), role="bureau", label=label,
                      session_epoch=0, active=True))
        audit("account", f"建立{label}账号 {username}")
        db().commit()
        return render_template("staff.html", users=_staff(), created={"username": username, "password": password,
                                                                      "label": label})
    return render_template("staff.html", users=_staff(), created=None)


def _staff() -> list[User]:
    return list(db().scalars(select(User).where(User.role == "bureau").order_by(User.id)).all())


@access("bureau")
def audit_view() -> Any:
    before = request.args.get("before", type=int)
    query = select(Audit).order_by(Audit.id.desc()).limit(200)
    if before:
        query = query.where(Audit.id < before)
    items = db().scalars(query).all()
    return render_template("audit.html", items=items)


ROUTES: list[tuple[str, str, Callable[..., Any], list[str]]] = [
    ("/", "index", index, ["GET"]),
    ("/favicon.ico", "favicon", favicon, ["GET"]),
    ("/login", "login", login, ["GET", "POST"]),
    ("/logout", "logout", logout, ["POST"]),
    ("/password", "password", password, ["GET", "POST"]),
    ("/my", "my", my, ["GET"]),
    ("/entries/<int:eid>", "entry_view", entry_view, ["GET"]),
    ("/entries/<int:eid>/form", "entry_form", entry_form, ["GET"]),
    ("/entries/<int:eid>/upload", "entry_upload", entry_upload, ["POST"]),
    ("/entries/<int:eid>/submit", "entry_submit", entry_submit, ["POST"]),
    ("/entries/<int:eid>/return", "entry_return", entry_return, ["POST"]),
    ("/entries/<int:eid>/review", "entry_review", entry_review, ["POST"]),
    ("/uploads/<int:uid>/file", "upload_file", upload_file, ["GET"]),
    ("/uploads/<int:uid>/report.<fmt>", "upload_report", upload_report, ["GET"]),
    ("/rounds", "rounds", rounds, ["GET", "POST"]),
    ("/rounds/<int:rid>", "round_view", round_view, ["GET"]),
    ("/rounds/<int:rid>/units", "round_units", round_units, ["POST"]),
    ("/rounds/<int:rid>/units/<int:unit_id>/password", "unit_password", unit_password, ["POST"]),
    ("/rounds/<int:rid>/review", "round_review", round_review, ["GET"]),
    ("/rounds/<int:rid>/export", "round_export", round_export, ["GET"]),
    ("/rounds/<int:rid>/replay", "round_replay", round_replay, ["GET", "POST"]),
    ("/rounds/<int:rid>/close", "round_close", round_close, ["POST"]),
    ("/rounds/<int:rid>/standard", "round_standard", standards.round_standard, ["GET"]),
    ("/rounds/<int:rid>/standard.xlsx", "round_standard_workbook", standards.round_standard_workbook, ["GET"]),
    ("/standards", "standards", standards.standards, ["GET", "POST"]),
    ("/standards/<int:sid>", "standard_view", standards.standard_view, ["GET"]),
    ("/standards/<int:sid>/publish", "standard_publish", standards.standard_publish, ["POST"]),
    ("/standards/<int:sid>/workbook.xlsx", "standard_workbook", standards.standard_workbook, ["GET"]),
    ("/staff", "staff", staff, ["GET", "POST"]),
    ("/audit", "audit_view", audit_view, ["GET"]),
]
