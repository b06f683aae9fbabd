"""Helpers for the server's tests: an app on a fresh database (SQLite, or PostgreSQL when
PERFRULES_TEST_PG_URL names one), log-ins with CSRF tokens, and a round with two units."""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

PG_URL = os.environ.get("PERFRULES_TEST_PG_URL")
DATABASES = ["sqlite"] + (["postgresql"] if PG_URL else [])
ROUND_RULESET = "cn/unit-overall@2024.1"


def reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def make_app(tmp: Path, database: str):
    from perfrules.web.app import create_app, ensure_first_account
    url = None
    if database == "postgresql":
        if not PG_URL:
            pytest.skip("PostgreSQL is not configured (PERFRULES_TEST_PG_URL)")
        reset_postgres(PG_URL)
        url = PG_URL
    app = create_app(tmp / "data", url, testing=True)
    password = ensure_first_account(app)
    return app, password


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def login(client, username: str, password: str, expect: int = 302):
    page = client.get("/login")
    resp = client.post("/login", data={"username": username, "password": password, "csrf": csrf_of(page.text)})
    assert resp.status_code == expect, resp.text
    return resp


def token(client, path: str = "/password") -> str:
    return csrf_of(client.get(path).text)


def post(client, path: str, data: dict | None = None, files: dict | None = None, **kw):
    """A POST as a page would send it: with the session's CSRF token (and files as multipart)."""
    form = dict(data or {})
    form["csrf"] = token(client)
    for name, (filename, content) in (files or {}).items():
        form[name] = (io.BytesIO(content), filename)
    return client.post(path, data=form, content_type="multipart/form-data" if files else None, **kw)


@dataclass
class County:
    app: object
    admin: str
    round_id: int
    units: dict[str, dict] = field(default_factory=dict)   # name → {username, password, unit_id, entry_id}


def county(app, admin_password: str, names=("甲单位", "乙单位")) -> County:
    """A round under ROUND_RULESET with units added from a CSV list, as the bureau would make it."""
    from sqlalchemy import select

    from perfrules.web.db import Entry, Unit, User
    c = app.test_client()
    login(c, "admin", admin_password)
    resp = post(c, "/rounds", {"title": "2024 年度部门整体支出绩效自评", "year": "2024", "kind": "unit-overall",
                               "ruleset": ROUND_RULESET, "deadline": "2025-03-31"})
    assert resp.status_code == 302, resp.text
    rid = int(resp.headers["Location"].rstrip("/").split("/")[-1])
    listing = "单位名称,地区,联系人\n" + "\n".join(f"{n},陕西省榆林市子洲县,张三" for n in names) + "\n"
    resp = post(c, f"/rounds/{rid}/units", files={"file": ("名单.csv", listing.encode("utf-8-sig"))})
    assert resp.status_code == 200, resp.text
    rows = re.findall(r"<tr><td>([^<]+)</td><td><code>([^<]+)</code></td>\s*<td><code class=\"password\">([^<]+)</code>",
                      resp.text)
    out = County(app, admin_password, rid)
    session = app.extensions["perfrules"]["Session"]()
    for name, username, password in rows:
        unit = session.scalars(select(Unit).where(Unit.name == name)).one()
        entry = session.scalars(select(Entry).where(Entry.unit_id == unit.id, Entry.round_id == rid)).one()
        assert session.scalars(select(User).where(User.unit_id == unit.id)).one().username == username
        out.units[name] = {"username": username, "password": password, "unit_id": unit.id, "entry_id": entry.id}
    session.close()
    assert set(out.units) == set(names)
    wait_for_accounts(app)
    return out


def wait_for_accounts(app, seconds: float = 120) -> None:
    """Until every new account's password hash is written (an app with workers hashes them off the request)."""
    import time

    from sqlalchemy import func, select

    from perfrules.web.db import User
    from perfrules.web.hashing import PENDING
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with app.extensions["perfrules"]["Session"]() as s:
            if not s.scalar(select(func.count()).select_from(User).where(User.password_hash == PENDING)):
                return
        time.sleep(0.1)
    raise AssertionError("account hashes not written in time")


def as_unit(county: County, name: str):
    c = county.app.test_client()
    login(c, county.units[name]["username"], county.units[name]["password"])
    return c


def as_bureau(county: County):
    c = county.app.test_client()
    login(c, "admin", county.admin)
    return c


def seed_for(unit: str) -> bytes:
    """The shipped example, restated as `unit`'s own submission."""
    from .conftest import ROOT
    text = (ROOT / "examples" / "zizhou-hrss-2024.yaml").read_text(encoding="utf-8")
    return text.replace("unit: 子洲县人力资源和社会保障局", f"unit: {unit}", 1).encode("utf-8")


def clean_for(unit: str) -> bytes:
    """The example with its errors corrected, as a unit would after reading the findings: the blank actual
    filled, the empty indicator row completed, the self-contradicting stated block removed, and the
    signature dates (2015, a slip for 2025) corrected. It still has warnings, no errors."""
    import re as _re
    text = seed_for(unit).decode("utf-8")
    text = text.replace("name: 2024 年底完成率, target: 100%, actual: null", "name: 2024 年底完成率, target: 100%, actual: 100%")
    text = text.replace("target: null, actual: null, points: null, self_score: null",
                        "target: 有所提升, actual: 提升, points: 10, self_score: 10")
    text = _re.sub(r"\nstated:\n.*?\n(?=team:)", "\n", text, flags=_re.S)
    return text.replace("2015年3月19日", "2025年3月9日").encode("utf-8")
