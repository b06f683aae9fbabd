"""Load on `perfrules serve`, on loopback only, bounded in count and time, against the CLI as the baseline.

    python bench/serve_load.py            # 50 units, 1,000 uploads (about 3 minutes on 2 cores)
    python bench/serve_load.py --quick    # 20 units, 200 uploads

The server runs as `perfrules serve` in its own process (waitress, 8 threads, SQLite in a temporary data
folder). The bureau opens a round and adds the units from a CSV list; then every unit logs in and, all
units at once, uploads its share of the generated submissions (2 % of them broken), one after another. An
upload's latency is the POST until the server's answer (the file stored, scored, checked and recorded; the
redirect to the result page is not followed). The baseline is the same files through `perfrules score`,
one process per file, as many at once as the machine has cores. Each side reports throughput and the
p50 / p99 latency; the ratios compare them. Results go to bench/results/serve-latest.json.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import generate  # noqa: E402
from run import machine  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RULESET = "cn/unit-overall@2024.1"
PERFRULES = [sys.executable, "-c", "import sys; from perfrules.cli import main; sys.exit(main())"]


class Client:
    """One browser's worth of HTTP: a keep-alive connection and a session cookie."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.cookie = ""

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None) -> tuple[int, str, dict]:
        h = dict(headers or {})
        if self.cookie:
            h["Cookie"] = self.cookie
        self.conn.request(method, path, body=body, headers=h)
        resp = self.conn.getresponse()
        data = resp.read().decode("utf-8", "replace")
        for key, value in resp.getheaders():
            if key.lower() == "set-cookie":
                self.cookie = value.split(";", 1)[0]
        return resp.status, data, dict(resp.getheaders())

    def csrf(self, path: str) -> str:
        _, page, _ = self.request("GET", path)
        return re.search(r'name="csrf" value="([^"]+)"', page).group(1)

    def form(self, path: str, fields: dict, csrf: str) -> tuple[int, str, dict]:
        from urllib.parse import urlencode
        body = urlencode({**fields, "csrf": csrf}).encode("utf-8")
        return self.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})

    def upload(self, path: str, name: str, data: bytes, csrf: str) -> int:
        boundary = "----perfrules-bench-boundary"
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n"
                f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
                "Content-Type: application/octet-stream\r\n\r\n").encode("utf-8") + data + f"\r\n--{boundary}--\r\n".encode()
        status, _, _ = self.request("POST", path, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})
        return status

    def login(self, username: str, password: str) -> None:
        deadline = time.monotonic() + 300
        while True:   # 409: a new account whose hash the server's workers have not written yet
            status, _, _ = self.form("/login", {"username": username, "password": password}, self.csrf("/login"))
            if status != 409 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert status == 302, f"login of {username} failed ({status})"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(data: Path) -> tuple[subprocess.Popen, int, str]:
    port = _free_port()
    proc = subprocess.Popen(PERFRULES + ["serve", "--data", str(data), "--port", str(port), "--host", "127.0.0.1"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    password = ""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:   # the first account's password (printed first, when made), then the address
        line = proc.stdout.readline()
        found = re.search(r"初始密码：(\S+)", line)
        if found:
            password = found.group(1)
        if "评价平台" in line or not line:
            break
    while time.monotonic() < deadline:   # until it answers
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    threading.Thread(target=proc.stdout.read, daemon=True).start()   # keep the pipe drained
    return proc, port, password


def set_up(port: int, password: str, units: int) -> list[tuple[str, str, int]]:
    bureau = Client(port)
    bureau.login("admin", password)
    status, _, headers = bureau.form("/rounds", {"title": "负载测试", "year": "2024", "kind": "unit-overall",
                                                 "ruleset": RULESET}, bureau.csrf("/rounds"))
    rid = int(headers["Location"].rstrip("/").split("/")[-1])
    listing = "单位名称,地区\n" + "".join(f"负载单位{i:03d},子洲县\n" for i in range(units))
    boundary = "----perfrules-bench-boundary"
    csrf = bureau.csrf(f"/rounds/{rid}")
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"list.csv\"\r\n\r\n{listing}\r\n"
            f"--{boundary}--\r\n").encode("utf-8")
    _, page, _ = bureau.request("POST", f"/rounds/{rid}/units", body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    accounts = re.findall(r"<tr><td>([^<]+)</td><td><code>([^<]+)</code></td>\s*<td><code class=\"password\">([^<]+)</code>", page)
    _, page, _ = bureau.request("GET", f"/rounds/{rid}")
    entries = dict(re.findall(r'<a href="/entries/(\d+)">([^<]+)</a>', page)[i][::-1] for i in range(units))
    return [(username, pw, int(entries[name])) for name, username, pw in accounts]


def web_run(port: int | list[int], accounts: list[tuple[str, str, int]], files: list[Path], limit: float) -> dict:
    """Every unit at once, each on one of the servers (`port`, or a list: unit i on server i mod n)."""
    ports = port if isinstance(port, list) else [port]
    shares = [files[i::len(accounts)] for i in range(len(accounts))]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    stop_at = time.monotonic() + limit

    def unit(i: int) -> None:
        username, password, entry = accounts[i]
        c = Client(ports[i % len(ports)])
        c.login(username, password)
        csrf = c.csrf(f"/entries/{entry}")
        for path in shares[i]:
            if time.monotonic() > stop_at:
                return
            data = path.read_bytes()
            t0 = time.perf_counter()
            status = c.upload(f"/entries/{entry}/upload", path.name, data, csrf)
            dt_ = time.perf_counter() - t0
            with lock:
                latencies.append(dt_)
                statuses[status] = statuses.get(status, 0) + 1

    t0 = time.perf_counter()
    with ThreadPoolExecutor(len(accounts)) as pool:
        list(pool.map(unit, range(len(accounts))))
    wall = time.perf_counter() - t0
    return _summary(latencies, wall, {"statuses": statuses, "clients": len(accounts), "servers": len(ports)})


def cli_run(files: list[Path], workers: int, limit: float) -> dict:
    latencies: list[float] = []
    stop_at = time.monotonic() + limit

    def one(path: Path) -> None:
        if time.monotonic() > stop_at:
            return
        t0 = time.perf_counter()
        subprocess.run(PERFRULES + ["score", str(path), "--ruleset", RULESET, "--format", "json"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        latencies.append(time.perf_counter() - t0)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, files))
    return _summary(latencies, time.perf_counter() - t0, {"processes_at_once": workers})


def _summary(latencies: list[float], wall: float, extra: dict) -> dict:
    ordered = sorted(latencies)
    p = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else None  # noqa: E731
    return {"count": len(latencies), "wall_s": round(wall, 2), "per_s": round(len(latencies) / wall, 2) if wall else None,
            "p50_ms": round(p(0.50), 1) if ordered else None, "p99_ms": round(p(0.99), 1) if ordered else None,
            "mean_ms": round(statistics.fmean(ordered) * 1000, 1) if ordered else None, **extra}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="20 units and 200 uploads")
    parser.add_argument("--units", type=int, help="units uploading at once (default 50; 20 with --quick)")
    parser.add_argument("--uploads", type=int, help="uploads in all (default 1,000; 200 with --quick)")
    parser.add_argument("--max-seconds", type=float, default=600, help="stop each side after this long")
    args = parser.parse_args()
    units = args.units or (20 if args.quick else 50)
    uploads = args.uploads or (200 if args.quick else 1000)
    with tempfile.TemporaryDirectory(prefix="perfrules-load-") as tmp:
        files = generate(uploads, Path(tmp) / "files")
        proc, port, password = start_server(Path(tmp) / "data")
        try:
            accounts = set_up(port, password, units)
            web = web_run(port, accounts, files, args.max_seconds)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        # The same round on two server processes sharing the data folder and its SQLite database (a
        # province's layout behind a proxy, on one machine): the units split between them.
        procs = [start_server(Path(tmp) / "data2") for _ in range(2)]
        try:
            first = next(p for p in procs if p[2])
            accounts = set_up(first[1], first[2], units)
            web2 = web_run([p[1] for p in procs], accounts, files, args.max_seconds)
        finally:
            for p in procs:
                p[0].terminate()
                p[0].wait(timeout=30)
        cli = cli_run(files, os.cpu_count() or 1, args.max_seconds)
    results = {"machine": machine(), "units": units, "uploads": uploads, "web": web, "web_two_processes": web2,
               "cli_score": cli,
               "ratios": {"throughput_web_over_cli": round(web["per_s"] / cli["per_s"], 2),
                          "p50_web_over_cli": round(web["p50_ms"] / cli["p50_ms"], 2),
                          "p99_web_over_cli": round(web["p99_ms"] / cli["p99_ms"], 2)}}
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "serve-latest.json").write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"{units} units uploading at once, {web['count']} uploads (HTTP statuses {web['statuses']}):")
    print(f"  perfrules serve: {web['per_s']}/s, p50 {web['p50_ms']} ms, p99 {web['p99_ms']} ms, {web['wall_s']} s")
    print(f"  two serve processes on one data folder: {web2['per_s']}/s, p50 {web2['p50_ms']} ms, "
          f"p99 {web2['p99_ms']} ms, {web2['wall_s']} s (HTTP statuses {web2['statuses']})")
    print(f"  perfrules score: {cli['per_s']}/s, p50 {cli['p50_ms']} ms, p99 {cli['p99_ms']} ms, {cli['wall_s']} s "
          f"({cli['processes_at_once']} processes at once)")
    r = results["ratios"]
    print(f"  ratios (serve ÷ CLI): throughput {r['throughput_web_over_cli']}×, p50 {r['p50_web_over_cli']}×, "
          f"p99 {r['p99_web_over_cli']}×")


if __name__ == "__main__":
    main()
