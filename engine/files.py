"""Finding submission files in the paths a user gives (files and directories)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path as FsPath
from typing import Iterable

from .errors import Location, error

SUBMISSION_SUFFIXES = (".yaml", ".yml", ".json")


def collect(paths: Iterable[str | FsPath]) -> list[FsPath]:
    """Submission files from files and directories, sorted, so that output does not depend on the order given.
    Ruleset test files (*.test.yaml) are not submissions."""
    files: set[FsPath] = set()
    for p in map(FsPath, paths):
        if p.is_dir():
            files.update(f for f in p.rglob("*") if f.is_file() and f.suffix in SUBMISSION_SUFFIXES
                         and not f.name.endswith(".test.yaml"))
        else:
            files.add(p)
    return sorted(files, key=lambda f: f.as_posix())


def atomic_write(out: FsPath, data: bytes | str, inputs: Iterable[FsPath] = ()) -> None:
    """Write via a temporary file in the same folder and rename: a failed run leaves no partial file."""
    target = out.resolve()
    for source in inputs:
        if source.resolve() == target:
            raise error("输出文件与输入文件相同，不能覆盖输入", Location(str(out)), "换一个输出文件名", code="E-IO")
    if not target.parent.is_dir():
        raise error("输出目录不存在", Location(str(out)), f"先创建目录 {target.parent}", code="E-IO")
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)   # mkstemp makes 0600; a report is an ordinary file
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
