"""`perfrules serve`: a county's self-evaluation round on one intranet machine.

Flask (WSGI) behind waitress: scoring is synchronous CPU work, so a threaded WSGI server fits it, and both are
pure Python and run the same on Windows and Linux. Pages are rendered on the server by Jinja2 in its sandbox
with autoescaping, and work without JavaScript; the one scripted page is the review page of `batch`, reused.

This module makes the app: its configuration, the request cycle (the user, CSRF, headers, errors) and
the route table, the one place every route is listed with its view. The views live by who uses them:
auth.py, entries.py, bureau.py, units.py, auditlog.py, standards.py (web/common.py has what they share). Access is declared on
every view (`@access("bureau")`, `"unit"`, `"user"` for both, `"public"`); a view without a declaration
answers 403. Objects are fetched through `entry_for` and `upload_for`, which answer
404 when the object belongs to another unit, so no route can hand one unit another's data.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from pathlib import Path as FsPath
from typing import Any, Callable

from flask import Flask, Response, abort, g, request, session
from flask.templating import Environment as FlaskEnvironment
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from perfrules.engine.errors import PerfrulesError
from perfrules.engine.limits import MAX_FILE_BYTES
from perfrules.engine.submission import KIND_LABELS

from . import auditlog, auth, bureau, entries, security, standards, units, work
from .common import ROLE_LABELS, STATUS, _ext, _message, db, fmt_num, when
from .hashing import Hasher
from .db import Audit, User, database_url, open_database

log = logging.getLogger("perfrules.serve")

SESSION_HOURS = 8


class SandboxedFlaskEnvironment(SandboxedEnvironment, FlaskEnvironment):
    """Flask's template environment (url_for, the app's loader) inside Jinja2's sandbox."""


class App(Flask):
    jinja_environment = SandboxedFlaskEnvironment


def create_app(data_dir: str | os.PathLike[str], db_url: str | None = None, ruleset_dirs: tuple[str, ...] = (),
               secure_cookies: bool = False, testing: bool = False, workers: int = 0, proxy: int = 0) -> App:
    """The app on a data folder and a database. `proxy`: how many reverse proxies stand in front, whose
    X-Forwarded-For / -Proto are trusted (0: none; the client's address is the connection's)."""
    data = FsPath(data_dir)
    data.mkdir(parents=True, exist_ok=True)
    spool = work.clean_spool(data / "tmp")   # this process's own; what a killed server left is removed
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
                                   "dirs": (str(published), *ruleset_dirs), "throttle": security.DbThrottle(Session), "hasher": Hasher(Session, min(workers, 2)), "data": data,
                                   "scorer": work.Scorer(workers, spool=spool)}
    if proxy:
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxy, x_proto=proxy)  # type: ignore[method-assign]
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
        try:
            db.commit()
        except IntegrityError:   # another server process starting at the same moment made it first
            db.rollback()
            return None
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
                return auth._login_page(403, "请先登录。")
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


ROUTES: list[tuple[str, str, Callable[..., Any], list[str]]] = [
    ("/", "index", auth.index, ["GET"]),
    ("/favicon.ico", "favicon", auth.favicon, ["GET"]),
    ("/login", "login", auth.login, ["GET", "POST"]),
    ("/logout", "logout", auth.logout, ["POST"]),
    ("/password", "password", auth.password, ["GET", "POST"]),
    ("/my", "my", entries.my, ["GET"]),
    ("/entries/<int:eid>", "entry_view", entries.entry_view, ["GET"]),
    ("/entries/<int:eid>/form", "entry_form", entries.entry_form, ["GET"]),
    ("/entries/<int:eid>/upload", "entry_upload", entries.entry_upload, ["POST"]),
    ("/entries/<int:eid>/submit", "entry_submit", entries.entry_submit, ["POST"]),
    ("/entries/<int:eid>/return", "entry_return", bureau.entry_return, ["POST"]),
    ("/entries/<int:eid>/review", "entry_review", bureau.entry_review, ["POST"]),
    ("/uploads/<int:uid>/file", "upload_file", entries.upload_file, ["GET"]),
    ("/uploads/<int:uid>/report.<fmt>", "upload_report", entries.upload_report, ["GET"]),
    ("/rounds", "rounds", bureau.rounds, ["GET", "POST"]),
    ("/rounds/<int:rid>", "round_view", bureau.round_view, ["GET"]),
    ("/rounds/<int:rid>/units", "round_units", units.round_units, ["POST"]),
    ("/rounds/<int:rid>/units/<int:unit_id>/password", "unit_password", units.unit_password, ["POST"]),
    ("/rounds/<int:rid>/review", "round_review", bureau.round_review, ["GET"]),
    ("/rounds/<int:rid>/export", "round_export", bureau.round_export, ["GET"]),
    ("/rounds/<int:rid>/replay", "round_replay", bureau.round_replay, ["GET", "POST"]),
    ("/rounds/<int:rid>/close", "round_close", bureau.round_close, ["POST"]),
    ("/rounds/<int:rid>/reopen", "round_reopen", bureau.round_reopen, ["POST"]),
    ("/rounds/<int:rid>/bulk", "round_bulk", bureau.round_bulk, ["POST"]),
    ("/rounds/<int:rid>/pending.csv", "round_pending", units.round_pending, ["GET"]),
    ("/units/<int:unit_id>/edit", "unit_edit", units.unit_edit, ["POST"]),
    ("/units/<int:unit_id>/retire", "unit_retire", units.unit_retire, ["POST"]),
    ("/rounds/<int:rid>/edit", "round_edit", bureau.round_edit, ["POST"]),
    ("/entries/<int:eid>/deadline", "entry_deadline", bureau.entry_deadline, ["POST"]),
    ("/rounds/<int:rid>/standard", "round_standard", standards.round_standard, ["GET"]),
    ("/rounds/<int:rid>/standard.xlsx", "round_standard_workbook", standards.round_standard_workbook, ["GET"]),
    ("/standards", "standards", standards.standards, ["GET", "POST"]),
    ("/standards/<int:sid>", "standard_view", standards.standard_view, ["GET"]),
    ("/standards/<int:sid>/publish", "standard_publish", standards.standard_publish, ["POST"]),
    ("/standards/<int:sid>/workbook.xlsx", "standard_workbook", standards.standard_workbook, ["GET"]),
    ("/staff", "staff", auth.staff, ["GET", "POST"]),
    ("/audit", "audit_view", auditlog.audit_view, ["GET"]),
]
