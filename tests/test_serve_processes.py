"""Several servers, one round (issue 25 item 7): two `perfrules serve` processes started at the same moment
on one database (one SQLite file, and PostgreSQL where CI provides it) and one data folder, as a province
runs them behind a proxy. Migrations do not collide; one first account is made; a session made on one is
valid on the other; an upload on one is seen on the other; failed logins are counted across both; and a
bounded load across both loses no upload."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from .servekit import PG_URL, clean_for, reset_postgres

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.serve_load import PERFRULES, Client, _free_port, set_up  # noqa: E402

DATABASES = ["sqlite"] + (["postgresql"] if PG_URL else [])


def _start(data: Path, db: str | None) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    args = PERFRULES + ["serve", "--data", str(data), "--port", str(port), "--workers", "1", "--proxy", "1"]
    proc = subprocess.Popen(args + (["--db", db] if db else []), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    return proc, port


def _wait(proc: subprocess.Popen, port: int, lines: list[str]) -> None:
    import socket
    deadline = time.monotonic() + 90

    def drain() -> None:
        for line in proc.stdout:   # type: ignore[union-attr]
            lines.append(line)
    threading.Thread(target=drain, daemon=True).start()
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError("server exited: " + "".join(lines))
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("server did not answer: " + "".join(lines))


@pytest.fixture(params=DATABASES)
def two_servers(request, tmp_path):
    db = None
    if request.param == "postgresql":
        reset_postgres(PG_URL)
        db = PG_URL
    data = tmp_path / "shared-data"
    started = [_start(data, db), _start(data, db)]   # at once: both migrate the same empty database
    outputs: list[list[str]] = [[], []]
    try:
        for (proc, port), lines in zip(started, outputs):
            _wait(proc, port, lines)
        time.sleep(0.3)
        passwords = [m.group(1) for lines in outputs for line in lines if (m := re.search(r"初始密码：(\S+)", line))]
        yield [port for _, port in started], passwords, outputs
    finally:
        for proc, _ in started:
            proc.terminate()
            proc.wait(timeout=30)


def test_two_processes_one_round(two_servers):
    (a, b), passwords, outputs = two_servers
    assert len(passwords) == 1, outputs   # one first account, whichever process made it
    password = passwords[0]

    # A session made on A is valid on B (the key and the accounts are shared, not the process).
    on_a = Client(a)
    on_a.login("admin", password)
    on_b = Client(b)
    on_b.cookie = on_a.cookie
    status, page, _ = on_b.request("GET", "/rounds")
    assert status == 200 and "评价轮次" in page

    # The round and its units are made on A; a unit logs in on B and uploads there; A sees it.
    accounts = set_up(a, password, 2)
    username, unit_password, entry = accounts[0]
    unit = Client(b)
    unit.login(username, unit_password)
    assert unit.upload(f"/entries/{entry}/upload", "x.yaml", clean_for("负载单位000"), unit.csrf(f"/entries/{entry}")) == 302
    _, round_page, _ = on_a.request("GET", "/rounds")
    rid = re.search(r'href="/rounds/(\d+)"', round_page).group(1)
    _, page, _ = on_a.request("GET", f"/rounds/{rid}")
    assert "v1" in page

    # Failed logins count across both: four on A and one on B reach the limit of five for the account.
    for port in (a, a, a, a, b):
        c = Client(port)
        status, _, _ = c.form("/login", {"username": username, "password": "wrong"}, c.csrf("/login"))
        assert status == 401
    for port in (a, b):
        c = Client(port)
        status, text, _ = c.form("/login", {"username": username, "password": unit_password}, c.csrf("/login"))
        assert status == 429 and "次数过多" in text

    # Behind a proxy (--proxy 1) the client's address is the forwarded one: failures from one address on
    # unknown names do not slow another address down.
    for _ in range(3):
        c = Client(a)
        c.form("/login", {"username": "nobody", "password": "x"}, c.csrf("/login"))
    c = Client(b)
    csrf = c.csrf("/login")
    from urllib.parse import urlencode
    status, _, _ = c.request("POST", "/login", urlencode({"username": "admin", "password": password, "csrf": csrf}).encode(),
                             {"Content-Type": "application/x-www-form-urlencoded", "X-Forwarded-For": "10.1.2.3"})
    assert status == 302

    # A bounded load across both: 2 units × 6 uploads, alternating servers, all at once; none is lost.
    second_user, second_password, second_entry = accounts[1]
    jobs = [(second_user, second_password, second_entry, (a, b)[i % 2]) for i in range(6)]
    jobs += [(u, p, e, (a, b)[i % 2]) for i, (u, p, e) in enumerate([accounts[0]] * 6)]

    def one(job: tuple[str, str, int, int]) -> int:
        user, pw, eid, port = job
        client = Client(port)
        client.login(user, pw) if user != username else None
        if user == username:   # its login is throttled now: reuse the session made before
            client.cookie = unit.cookie
        return client.upload(f"/entries/{eid}/upload", "x.yaml", clean_for("负载单位"), client.csrf(f"/entries/{eid}"))

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(one, jobs))
    assert statuses == [302] * len(jobs), statuses
    for eid, expected in ((second_entry, 6), (entry, 7)):
        _, page, _ = on_a.request("GET", f"/entries/{eid}")
        versions = sorted(int(v) for v in re.findall(r"version=(\d+)#result\">v\d+</a>", page))
        assert versions == list(range(1, expected + 1)), (eid, versions)
