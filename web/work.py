"""What the server does with files, without the web: keep uploads, score them, render reports, export a
round, replay it under another ruleset. Everything here goes through the engine exactly as the CLI does,
so an upload gets the same score and the same messages as `perfrules check` of the same file.

The file a unit uploads is written, for the engine to read, to a private temporary folder under a fixed
name (`submission.xlsx`): the name the unit gave is shown, never used as a path.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tempfile
import zipfile
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path as FsPath
from typing import Any, Callable, Iterator

from perfrules.engine import __version__ as ENGINE_VERSION
from perfrules.engine.errors import PerfrulesError, internal_message
from perfrules.engine.formats import SUBMISSION_SUFFIXES
from perfrules.engine.limits import MAX_FILE_BYTES, install_context

UPLOAD_SUFFIXES = tuple(s for s in SUBMISSION_SUFFIXES)   # what the engine reads, old binary formats included
SHOWN_SUFFIXES = (".xlsx", ".xls", ".ods", ".docx", ".pdf", ".yaml")   # named on the upload form
DECIMAL_KEYS = ("total", "stated_total", "difference", "budget", "rate")


# A scoring worker's allowance, per file: its memory (an address-space limit, so an allocation past it is a
# MemoryError in the worker, not the machine's swap) and its time (a worker past it is killed and replaced).
# Inside every documented limit a file is read in under 5 s (bench/readers.py); these catch what is not.
WORKER_SECONDS = float(os.environ.get("PERFRULES_WORKER_SECONDS", "60"))
WORKER_MEMORY_MB = int(os.environ.get("PERFRULES_WORKER_MEMORY_MB", "2048"))
TASKS_PER_WORKER = 200   # a worker is renewed now and then: memory a bad file made it take is given back


class Scorer:
    """Where scoring runs: in the request's thread, or (`workers` > 0) in a pool of worker processes, so
    that concurrent uploads use every core instead of sharing one interpreter. The pool starts on first
    use with the spawn method (the same on Windows and Linux, and safe beside the server's threads).

    Each worker has a memory limit and each file a time allowance: a file past its time gets its worker
    killed and the pool replaced, and an E-LIMIT answer; the other files in flight at that moment are scored
    again in the new pool, so no upload waits more than one file's allowance for another's. A file is
    never scored in the server's own process when the pool cannot: that process has no such limits."""

    def __init__(self, workers: int = 0, seconds: float = WORKER_SECONDS, memory_mb: int = WORKER_MEMORY_MB,
                 spool: FsPath | None = None):
        import threading
        self.workers, self.seconds, self.memory_mb, self.spool = workers, seconds, memory_mb, spool
        self._pool: Any = None
        self._lock = threading.Lock()

    def _executor(self) -> Any:
        with self._lock:
            if self._pool is None:
                import multiprocessing
                from concurrent.futures import ProcessPoolExecutor
                self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                                 initializer=_start_worker,
                                                 initargs=(os.getpid(), self.memory_mb, self.spool),
                                                 max_tasks_per_child=TASKS_PER_WORKER)
            return self._pool

    def _replace(self, pool: Any, kill: bool = False) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None
        if kill:
            for process in list(getattr(pool, "_processes", {}).values()):
                try:
                    process.kill()
                except (OSError, AttributeError):
                    pass
        pool.shutdown(wait=False, cancel_futures=True)

    def run(self, func: Any, *args: Any, on_limit: Callable[[str], Any] | None = None) -> Any:
        """func(*args) in a worker. Past the allowance: on_limit(reason) when given, else an E-LIMIT error."""
        if self.workers <= 0:
            return func(*args)
        from concurrent.futures import TimeoutError as FutureTimeout
        from concurrent.futures.process import BrokenProcessPool
        for attempt in (1, 2):
            pool = self._executor()
            future = pool.submit(func, *args)
            try:
                return future.result(timeout=self.seconds)
            except FutureTimeout:
                self._replace(pool, kill=True)
                return _limited(on_limit, f"处理时间超过 {self.seconds:g} 秒的上限")
            except BrokenProcessPool:
                self._replace(pool)
                if attempt == 2:   # it broke a fresh pool too: the file's own doing
                    return _limited(on_limit, f"处理进程超出内存上限（{self.memory_mb} MB）或意外结束")
        raise AssertionError("unreachable")

    def start(self) -> None:
        """Start the workers now and load the engine in each, so the first uploads do not wait for it."""
        if self.workers > 0:
            pool = self._executor()
            for future in [pool.submit(_warm) for _ in range(self.workers)]:
                future.result()

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None


def _limited(on_limit: Callable[[str], Any] | None, reason: str) -> Any:
    if on_limit is not None:
        return on_limit(reason)
    from perfrules.engine.errors import error
    raise error(f"文件超出处理上限：{reason}", None, "自评表和报告不会需要这么多；请检查文件是否异常", code="E-LIMIT")


def limit_record(data: bytes, name: str, ref: str, reason: str) -> dict[str, Any]:
    """The stored result of an upload whose scoring went past the worker's allowance."""
    problems = [{"message": f"文件超出处理上限：{reason}", "where": name, "code": "E-LIMIT",
                 "hint": "自评表和报告不会需要这么多；请检查文件是否异常，或另存为新文件后重新上传"}]
    return {"input_sha256": hashlib.sha256(data).hexdigest(), "ruleset_ref": ref, "ruleset_sha256": "",
            "engine_version": ENGINE_VERSION, "ok": False, "total": None, "grade": None, "errors": 1, "warnings": 0,
            "result": json.dumps({"problems": problems}, ensure_ascii=False)}


def _start_worker(parent: int, memory_mb: int, spool: FsPath | None = None) -> None:
    """In a worker: its memory limit and spool folder, then watch for the server's end."""
    set_spool(spool)
    try:
        import resource
        limit = memory_mb * 1024 * 1024
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard == resource.RLIM_INFINITY or hard > limit:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit if hard == resource.RLIM_INFINITY else hard))
    except (ImportError, ValueError, OSError):   # Windows has no rlimits; the time allowance still holds
        pass
    _watch_parent(parent)


def _watch_parent(parent: int) -> None:
    """In a worker: end when the server is gone, however it ended (a kill leaves no one to shut the pool)."""
    import threading
    import time

    def watch() -> None:
        while True:
            time.sleep(1)
            if os.getppid() != parent:
                os._exit(0)
    threading.Thread(target=watch, daemon=True, name="perfrules-parent-watch").start()


def _warm() -> None:
    """In a worker: import what scoring and reports need (and let the ruleset caches fill on first use)."""
    import perfrules.engine.api  # noqa: F401
    import perfrules.engine.checks  # noqa: F401
    import perfrules.engine.formats.xlsx  # noqa: F401
    import perfrules.engine.submission  # noqa: F401


class BlobStore:
    """Uploaded bytes kept once each, named by their sha256 (blobs/ab/abcdef…)."""

    def __init__(self, root: FsPath):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def path(self, sha: str) -> FsPath:
        if not re.fullmatch(r"[0-9a-f]{64}", sha):
            raise ValueError("not a sha256")
        return self.root / sha[:2] / sha

    def put(self, data: bytes) -> str:
        from perfrules.engine.files import atomic_write
        sha = hashlib.sha256(data).hexdigest()
        target = self.path(sha)
        if not target.exists():   # written once, whole (temporary file, fsync, rename), never changed
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(target, data, remember=False)   # a blob is new by its name; nothing to record
        return sha

    def get(self, sha: str) -> bytes:
        return self.path(sha).read_bytes()


def shown_name(name: str | None) -> str:
    """An upload's name as the unit gave it, for display only: the last path part, no control characters,
    at most 100 characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip() or "未命名文件"
    return base[-100:]


def suffix_of(name: str) -> str:
    return FsPath(name).suffix.lower()


# Where uploads are written for the engine to read: a folder under the server's data folder (`tmp/`), emptied
# when the server starts, so a server killed in the middle of a scoring leaves nothing behind in /tmp and
# nothing for long anywhere. Set in the server's process and in each worker.
_SPOOL: FsPath | None = None


def set_spool(folder: FsPath | None) -> None:
    global _SPOOL
    _SPOOL = folder


STALE_SPOOL_SECONDS = 6 * 3600   # longer than any scoring: what is older was left by a killed process


def clean_spool(folder: FsPath) -> FsPath:
    """Make this process's own spool under `folder` (data/tmp/<pid>-<random>) and remove what killed processes
    left there. Several servers may share the data folder (a province behind a proxy): a folder of another
    process is removed only when it is stale, never while that process may be scoring in it."""
    import shutil
    import time
    if folder.is_symlink():
        folder.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    cutoff = time.time() - STALE_SPOOL_SECONDS
    for item in folder.iterdir():
        try:
            if item.lstat().st_mtime < cutoff:
                shutil.rmtree(item, ignore_errors=True) if item.is_dir() and not item.is_symlink() else item.unlink()
        except OSError:
            continue
    mine = FsPath(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=folder))
    os.chmod(mine, 0o700)
    return mine


@contextmanager
def as_file(data: bytes, suffix: str) -> Iterator[FsPath]:
    """The bytes as a file the engine can read, under a fixed name in a private folder, removed after."""
    spool = str(_SPOOL) if _SPOOL is not None and _SPOOL.is_dir() else None
    with tempfile.TemporaryDirectory(prefix="perfrules-upload-", dir=spool) as folder:
        path = FsPath(folder) / f"submission{suffix}"
        path.write_bytes(data)
        yield path


def ruleset(ref: str, dirs: tuple[str, ...] = ()) -> Any:
    from perfrules.engine.ruleset import get_ruleset, search_path
    return get_ruleset(ref, search_path(dirs))


def score_upload(data: bytes, suffix: str, name: str, ref: str, dirs: tuple[str, ...] = ()) -> dict[str, Any]:
    """Score and check one upload under the round's ruleset (`ref`, id@version), as `perfrules check` would.

    Returns the record to store: ok, total, grade, counts, and `result` (JSON text: the batch row and the
    scorecard, or the diagnostics of a file that could not be read). Never raises for a user's file."""
    from perfrules.engine.api import check, choose_ruleset, with_notes
    from perfrules.engine.batch import _row
    from perfrules.engine.scorecard import dumps
    from perfrules.engine.submission import load_submission
    install_context()
    rs = ruleset(ref, dirs)
    base = {"input_sha256": hashlib.sha256(data).hexdigest(), "ruleset_ref": rs.ref, "ruleset_sha256": rs.sha256,
            "engine_version": ENGINE_VERSION}
    try:
        if len(data) > MAX_FILE_BYTES:
            from perfrules.engine.errors import Location, error
            raise error(f"文件过大（{len(data):,} 字节，上限 {MAX_FILE_BYTES:,} 字节）", Location(name),
                        "自评数据不会这么大：请确认选择了正确的文件", code="E-FILE")
        with as_file(data, suffix) as path:
            sub = load_submission(path, name)
            rs, notes = choose_ruleset(sub, ref, dirs, trust_submission=False)
            card = with_notes(check(sub, rs), notes)
        row = _row(name, sub, card, rs)
        counts = card.counts()
        result = dumps({"row": row, "card": card.to_json()}, indent=None)
        return {**base, "ok": True, "total": str(card.total), "grade": card.grade, "errors": counts["error"],
                "warnings": counts["warning"], "result": result}
    except PerfrulesError as exc:
        problems = [{"message": d.message, "hint": d.hint or "", "where": str(d.location), "code": d.code}
                    for d in exc.diagnostics]
        return {**base, "ok": False, "total": None, "grade": None, "errors": len(problems), "warnings": 0,
                "result": json.dumps({"problems": problems}, ensure_ascii=False)}
    except MemoryError:   # past the worker's memory limit: the file's size, not a bug
        return limit_record(data, name, ref, "处理所需内存超过上限")
    except Exception as exc:  # noqa: BLE001 - one upload's fate: a bug in perfrules must not take the server down
        problems = [{"message": internal_message(exc), "where": name, "code": "E-INTERNAL",
                     "hint": "这是 perfrules 的缺陷，请把该文件交给管理员报告"}]
        return {**base, "ok": False, "total": None, "grade": None, "errors": 1, "warnings": 0,
                "result": json.dumps({"problems": problems}, ensure_ascii=False)}


def load_result(text: str) -> dict[str, Any]:
    """A stored result with its figures as Decimal again (as the engine made them)."""
    data = json.loads(text, parse_float=Decimal)
    row = data.get("row")
    if row:
        for key in DECIMAL_KEYS:
            if isinstance(row.get(key), int):
                row[key] = Decimal(row[key])
        row["findings"] = [tuple(f) for f in row.get("findings", [])]
        row["categories"] = [(c[0], *(None if v is None else Decimal(v) for v in c[1:])) for c in row.get("categories", [])]
    return data


def blank_form(ref: str, unit: str, year: int, region: str | None, dirs: tuple[str, ...] = ()) -> bytes:
    """The round's 自评表, filled in with the unit, the year and the ruleset's categories."""
    from perfrules.engine.convert import categories_of
    from perfrules.engine.formats.xlsx_form import write_workbook
    rs = ruleset(ref, dirs)
    kinds = rs.applies_to.get("kinds") or ["unit-overall"]
    data: dict[str, Any] = {"kind": kinds[0], "year": year, "unit": unit, "ruleset": rs.ref, "money_unit": "万元"}
    if region:
        data["region"] = region
    return write_workbook(data, categories=categories_of(rs), ruleset_ref=rs.ref)


def report(data: bytes, suffix: str, name: str, ref: str, fmt: str, dirs: tuple[str, ...] = ()) -> bytes:
    """The official report of an upload (docx or pdf), as `perfrules report` writes it. Raises PerfrulesError."""
    from perfrules.engine import render
    from perfrules.engine.api import check, choose_ruleset, render_report, report_template, with_notes
    from perfrules.engine.submission import load_submission
    install_context()
    with as_file(data, suffix) as path:
        sub = load_submission(path, name)
        rs, notes = choose_ruleset(sub, ref, dirs, trust_submission=False)
        tdirs = render.template_dirs()
        out = render_report(sub, with_notes(check(sub, rs), notes), rs, fmt, report_template(rs, None, tdirs), tdirs)
    return out.encode("utf-8") if isinstance(out, str) else out


def safe_member(name: str) -> str:
    """A zip member name from a unit's name: no folders, no characters Windows refuses, never empty."""
    clean = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", name).strip(" .") or "单位"
    return clean[:80]


def county_outputs(rows: list[dict[str, Any]], failed: list[dict[str, Any]], kind: str, back: str | None = None) -> bytes:
    """The county workbook (kind 'xlsx') or review page (kind 'html') of stored rows, as `batch` writes them."""
    from perfrules.engine.sinks import SINKS, Summary
    summary = Summary()
    sink = SINKS[".xlsx" if kind == "xlsx" else ".html"]()
    if back:
        sink.back = back
    try:
        for row in rows:
            summary.add(row)
            sink.add(row)
        summary.errors = failed
        out = sink.finish(summary)
        return out if isinstance(out, bytes) else b"".join(out)   # read before close() removes its files
    finally:
        sink.close()


def export_zip(workbook: bytes, members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("县级汇总.xlsx", workbook)
        used: set[str] = set()
        for name, data in members:
            unique, n = name, 2
            while unique in used:
                stem, dot, ext = name.rpartition(".")
                unique, n = f"{stem}（{n}）.{ext}", n + 1
            used.add(unique)
            zf.writestr(unique, data)
    return buf.getvalue()
