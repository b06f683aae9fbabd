"""A scoring worker has its own memory and time limit (issue 22 item 4): a file past either gets E-LIMIT, the
worker is replaced, and another unit's upload waits no more than one file's allowance."""

from __future__ import annotations

import threading
import time

import pytest

from perfrules.engine.errors import PerfrulesError
from perfrules.web import work


def sleeps(seconds: float) -> str:
    time.sleep(seconds)
    return "done"


def allocates(mb: int) -> str:
    try:
        block = bytearray(mb * 1024 * 1024)
        return f"allocated {len(block)}"
    except MemoryError:
        return "MemoryError"


@pytest.fixture
def scorer():
    s = work.Scorer(workers=2, seconds=3, memory_mb=700)
    s.start()
    yield s
    s.close()


@pytest.mark.slow
def test_a_file_past_its_time_is_e_limit_and_others_go_on(scorer):
    results: dict[str, object] = {}

    def quick() -> None:
        time.sleep(0.5)   # submitted while the slow one holds a worker
        started = time.monotonic()
        results["quick"] = scorer.run(sleeps, 0.1)
        results["quick_s"] = time.monotonic() - started

    other = threading.Thread(target=quick)
    other.start()
    started = time.monotonic()
    answer = scorer.run(sleeps, 60, on_limit=lambda reason: f"limit: {reason}")
    elapsed = time.monotonic() - started
    other.join()
    assert answer.startswith("limit:") and "3 秒" in answer and elapsed < 10
    assert results["quick"] == "done" and results["quick_s"] < 3 + 5   # at most one allowance (and a restart)
    assert scorer.run(sleeps, 0) == "done"   # the pool was replaced and works


@pytest.mark.slow
def test_a_worker_cannot_take_more_memory_than_its_limit(scorer):
    assert scorer.run(allocates, 50).startswith("allocated")
    assert scorer.run(allocates, 3000) == "MemoryError"
    with pytest.raises(PerfrulesError) as info:
        scorer.run(sleeps, 30)
    assert info.value.first.code == "E-LIMIT"


def test_a_memory_error_while_scoring_is_e_limit_not_internal(monkeypatch):
    import perfrules.engine.submission as submission

    def boom(*args, **kwargs):
        raise MemoryError
    monkeypatch.setattr(submission, "load_submission", boom)
    record = work.score_upload(b"unit: x\n", ".yaml", "x.yaml", "cn/unit-overall@2024.1")
    assert not record["ok"] and "E-LIMIT" in record["result"] and "E-INTERNAL" not in record["result"]
