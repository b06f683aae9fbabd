"""The round page of `perfrules serve` for a province-size round: one command, python bench/serve_round.py

Builds a round of 2,000 units in a fresh SQLite data folder (accounts with one shared password hash: this
times the page, not argon2), every unit with two uploads and a scoring of the latest (the stored result of
the shipped example), then times the bureau's round page (all statuses counted, the first page of 50 rows
rendered) through Flask's test client. The baseline, in the same run, is the same page for a round of 20
units: the ratio says how the page grows with the round. The goal is 300 ms at 2,000 units on this machine.
Then, against issue 26's goals: adding 2,000 units from a list until every account's argon2id hash is
written (≤ 60 s), and 50 units logging in at the same moment to a real `perfrules serve` (p50 ≤ 1 s).

    python bench/serve_round.py              # 2,000 units (and adding 2,000 units from a list)
    python bench/serve_round.py --units 500
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
GOAL_MS = 300.0


def build(folder: Path, units: int) -> tuple[object, int, str]:
    """An app whose round has `units` units, each with two uploads, the latest scored; its round id and the
    admin's password."""
    from perfrules.web import security, work
    from perfrules.web.app import create_app, ensure_first_account
    from perfrules.web.db import Blob, Entry, Round, Scoring, Unit, Upload, User
    app = create_app(folder / "data", testing=True)
    password = ensure_first_account(app)
    example = (ROOT / "examples" / "zizhou-hrss-2024.yaml").read_bytes()
    record = work.score_upload(example, ".yaml", "x.yaml", "cn/unit-overall@2024.1")
    sha = app.extensions["perfrules"]["blobs"].put(example)
    hashed = security.hash_password("bench-password-1")
    with app.extensions["perfrules"]["Session"]() as s:
        admin = s.query(User).filter_by(username="admin").one()
        rnd = Round(title="基准轮次", year=2024, kind="unit-overall", ruleset_ref=record["ruleset_ref"],
                    ruleset_sha256=record["ruleset_sha256"], created_by=admin.id)
        s.add(rnd)
        s.add(Blob(sha256=sha, size=len(example)))
        s.flush()
        for i in range(units):
            unit = Unit(name=f"基准单位{i:05d}", region="子洲县", contact="")
            s.add(unit)
            s.flush()
            s.add(User(username=f"b{i:05d}", password_hash=hashed, role="unit", label="预算单位", unit_id=unit.id,
                       session_epoch=0, active=True))
            entry = Entry(round_id=rnd.id, unit_id=unit.id, state="open")
            s.add(entry)
            s.flush()
            for version in (1, 2):
                upload = Upload(entry_id=entry.id, version=version, filename="x.yaml", suffix=".yaml", sha256=sha,
                                size=len(example), uploaded_by=admin.id)
                s.add(upload)
                s.flush()
                if version == 2:
                    s.add(Scoring(upload_id=upload.id, **record))
        s.commit()
        return app, rnd.id, password


def page_ms(app: object, rid: int, password: str, repeat: int) -> float:
    from tests.servekit import login   # the suite's log-in with its CSRF token
    client = app.test_client()  # type: ignore[attr-defined]
    login(client, "admin", password)
    client.get(f"/rounds/{rid}")   # warm: templates compiled, ruleset loaded
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        resp = client.get(f"/rounds/{rid}")
        times.append((time.perf_counter() - start) * 1000)
        assert resp.status_code == 200
    return statistics.median(times)


def add_units(folder: Path, units: int) -> tuple[float, float]:
    """Seconds until the bureau's page answers for a list of `units` new units, and until every new account's
    argon2id hash is written by the workers (two, as `perfrules serve` gives them)."""
    from perfrules.web.app import create_app, ensure_first_account
    from perfrules.web.db import User
    from perfrules.web.hashing import PENDING
    from tests.servekit import login, post
    app = create_app(folder / "data", testing=True, workers=2)
    password = ensure_first_account(app)
    client = app.test_client()
    login(client, "admin", password)
    resp = post(client, "/rounds", {"title": "加入单位", "year": "2024", "kind": "unit-overall", "ruleset": ""})
    rid = resp.headers["Location"].rstrip("/").split("/")[-1]
    listing = "单位名称,地区\n" + "".join(f"新单位{i:05d},子洲县\n" for i in range(units))
    start = time.perf_counter()
    resp = post(client, f"/rounds/{rid}/units", files={"file": ("名单.csv", listing.encode("utf-8-sig"))})
    answered = time.perf_counter() - start
    assert resp.status_code == 200
    sessions = app.extensions["perfrules"]["Session"]  # type: ignore[attr-defined]
    while True:
        with sessions() as s:
            if not s.query(User).filter(User.password_hash == PENDING).count():
                break
        time.sleep(0.5)
    hashed = time.perf_counter() - start
    app.extensions["perfrules"]["hasher"].close()  # type: ignore[attr-defined]
    app.extensions["perfrules"]["engine"].dispose()  # type: ignore[attr-defined]
    return answered, hashed


def logins_at_once(clients: int = 50) -> dict:
    """A real `perfrules serve` (two hashing workers), `clients` unit accounts logging in at the same moment:
    each login's latency, from its POST to its answer (argon2id verifies in the workers)."""
    import threading

    from bench.serve_load import Client, set_up, start_server
    with tempfile.TemporaryDirectory(prefix="perfrules-bench-logins-") as tmp:
        proc, port, password = start_server(Path(tmp) / "data")
        try:
            accounts = set_up(port, password, clients)
            for username, pw, _ in accounts[:1]:   # every hash written before the burst (409 until then)
                Client(port).login(username, pw)
            start_at = threading.Barrier(len(accounts))
            latencies: list[float] = []
            statuses: list[int] = []

            def one(username: str, pw: str) -> None:
                c = Client(port)
                csrf = c.csrf("/login")
                start_at.wait()
                began = time.perf_counter()
                status, _, _ = c.form("/login", {"username": username, "password": pw}, csrf)
                latencies.append(time.perf_counter() - began)
                statuses.append(status)
            threads = [threading.Thread(target=one, args=(u, pw)) for u, pw, _ in accounts]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    latencies.sort()
    return {"clients": len(latencies), "statuses": sorted(set(statuses)), "p50_s": statistics.median(latencies),
            "p99_s": latencies[int(len(latencies) * 0.99) - 1 if len(latencies) > 1 else 0], "max_s": latencies[-1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--units", type=int, default=2000)
    args = parser.parse_args()
    rows = []
    for units in (20, args.units):
        with tempfile.TemporaryDirectory(prefix="perfrules-bench-round-") as tmp:
            app, rid, password = build(Path(tmp), units)
            rows.append((units, page_ms(app, rid, password, 15)))
            app.extensions["perfrules"]["engine"].dispose()  # type: ignore[attr-defined]
    base = rows[0][1]
    print(f"{'round page':>12} {'median ms':>10} {'÷ 20 units':>11} {'÷ goal 300 ms':>14}")
    for units, ms in rows:
        print(f"{units:>6} units {ms:>10.1f} {ms / base:>10.2f}× {ms / GOAL_MS:>13.2f}×")
    print(f"\n{args.units} units: {'within' if rows[-1][1] <= GOAL_MS else 'OVER'} the {GOAL_MS:.0f} ms goal")
    with tempfile.TemporaryDirectory(prefix="perfrules-bench-units-") as tmp:
        answered, hashed = add_units(Path(tmp), args.units)
    print(f"adding {args.units} units from a list: the page answers in {answered:.1f} s; every account's "
          f"argon2id hash is written {hashed:.1f} s after the request (two workers, off the request path)"
          f"   goal ≤ 60 s: {'met' if hashed <= 60 else 'NOT met'}")
    burst = logins_at_once(50)
    print(f"{burst['clients']} logins at once (HTTP {burst['statuses']}): p50 {burst['p50_s'] * 1000:.0f} ms, "
          f"p99 {burst['p99_s'] * 1000:.0f} ms, max {burst['max_s'] * 1000:.0f} ms"
          f"   goal p50 ≤ 1 s: {'met' if burst['p50_s'] <= 1 else 'NOT met'}")


if __name__ == "__main__":
    main()
