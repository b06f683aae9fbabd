"""Signing in and out, passwords, and the bureau's own accounts (财政局 / 复核机构)."""

from __future__ import annotations

import posixpath
import re
from typing import Any

from flask import Response, abort, current_app, g, redirect, render_template, request, session, url_for
from sqlalchemy import select
from werkzeug.exceptions import HTTPException


from . import security
from .common import _ext, _message, access, audit, db
from .db import User


def _login_page(status: int, note: str = "", back: str | None = None) -> Any:
    """The login form; after logging in, back to the page that asked for it (a GET page of this server)."""
    if back is None:
        back = request.full_path if request.method == "GET" and request.endpoint != "login" else ""
    return render_template("login.html", note=note, next=_safe_next(back)), status


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


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
    from .hashing import PENDING
    if known and user is not None and user.password_hash == PENDING:
        return _login_page(409, "这个账号正在建立（密码正在加密），请一两分钟后再试。", request.form.get("next", ""))
    # The password is checked against a hash whatever the name: an unknown name costs what a wrong password
    # costs (a dummy hash), so the time of the answer does not tell which names exist.
    matches = _ext()["hasher"].verify(user.password_hash if user is not None else None, password)
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
