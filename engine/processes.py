"""Worker processes for the commands that read a county's files (`batch`, `replay`): how many by default,
and starting them so that a machine that cannot start any still gets its answer."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Callable, Iterator

MAX_AUTO_JOBS = 4   # the default's ceiling: a bureau's desktop stays usable, and memory stays bounded (bench c)


def auto_jobs() -> int:
    """How many processes to use when not told: the CPUs this process may run on, at most MAX_AUTO_JOBS."""
    try:
        available = len(os.sched_getaffinity(0))   # a container's or a taskset's share, not the machine's
    except (AttributeError, OSError):   # (not on every platform)
        available = os.cpu_count() or 1
    return max(1, min(MAX_AUTO_JOBS, available))


@contextmanager
def pool(jobs: int, initializer: Callable[[], None], fallback: bool = False) -> Iterator[ProcessPoolExecutor | None]:
    """`jobs` processes, started at once (None for one: the work is done in this process). With `fallback`
    (the number was not asked for), a machine that cannot start processes (no semaphores in a container, a
    sandbox) does the work in this one instead; asked for, it is the user's error, said as such."""
    if jobs <= 1:
        yield None
        return
    started: ProcessPoolExecutor | None = None
    try:
        started = ProcessPoolExecutor(max_workers=jobs, initializer=initializer)
        started.submit(int).result()   # under fork, the first task starts every process
    except (OSError, NotImplementedError, BrokenProcessPool) as exc:
        if started is not None:
            started.shutdown(wait=False, cancel_futures=True)
        if not fallback:
            from .errors import Location, error
            raise error(f"无法启动 {jobs} 个并行进程（{exc or type(exc).__name__}）", Location("--jobs"),
                        "本机或容器不允许另开进程：去掉 --jobs，或用 --jobs 1 在本进程内评分", code="E-USAGE") from None
        started = None
    if started is None:
        yield None
        return
    with started:
        yield started
