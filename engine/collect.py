"""Which files a set of paths holds, for `batch` and `replay`: a walk of the folders given (symlinked folders
listed, never followed), each entry classified by its name and, for an earlier run's own outputs, by its
first bytes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Iterable

from .files import display_path
from .formats import SUBMISSION_SUFFIXES
from .formats.safezip import zip_has

# The first bytes of a `perfrules batch -o x.json` summary: such a file inside an input folder is an
# earlier run's output, not a submission, and is never read back as one.
BATCH_JSON_PREFIX = b'{\n  "rows": '


@dataclass
class Collected:
    """What a set of paths holds: the files to read, in sorted order, and every other entry with the
    reason it is not read (so that the count a user sees matches the folder they gave)."""

    # Paths as text, not Path objects: a county's 10,000 paths take a fifth of the memory this way.
    files: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)   # (display path, reason)


def collect(paths: Iterable[str | FsPath], suffixes: tuple[str, ...] = SUBMISSION_SUFFIXES) -> Collected:
    """Submission files from files and folders, sorted, so that output does not depend on the order given.

    In a folder, an entry with a submission suffix is read even when it is a dangling symlink, a FIFO or
    unreadable: reading it fails alone and names the reason. Everything else is listed as skipped: other
    suffixes, ruleset cases (*.test.yaml) and an earlier batch summary. Symlinked folders are not followed
    (a loop cannot trap the walk)."""
    files: dict[str, str] = {}
    skipped: dict[str, str] = {}
    for given in map(FsPath, paths):
        if given.is_dir():
            for entry in _walk(given):
                _classify(entry, suffixes, files, skipped)
        else:
            files[given.as_posix()] = os.fspath(given)
    return Collected([files[k] for k in sorted(files)], sorted((display_path(k), v) for k, v in skipped.items()))


def _walk(folder: FsPath) -> Iterable[FsPath]:
    for root, dirs, names in os.walk(folder, followlinks=False):
        dirs.sort()
        for name in sorted(names):
            yield FsPath(root) / name
        for name in dirs:   # a symlink to a folder is listed, not followed
            if os.path.islink(os.path.join(root, name)):
                yield FsPath(root) / name


def _classify(entry: FsPath, suffixes: tuple[str, ...], files: dict[str, str], skipped: dict[str, str]) -> None:
    key = entry.as_posix()
    if entry.name.endswith(".test.yaml"):
        skipped[key] = "规则集测试用例，不是自评数据"
    elif entry.suffix.lower() not in suffixes:
        skipped[key] = f"不是可读取的格式（可读取：{' '.join(suffixes)}）"
    elif entry.suffix.lower() == ".json" and _is_batch_summary(entry):
        skipped[key] = "perfrules batch 的汇总输出，不是自评数据"
    elif entry.suffix.lower() == ".xlsx" and _is_batch_workbook(entry):
        skipped[key] = "perfrules batch 的汇总工作簿，不是自评数据"
    else:
        text = os.fspath(entry)
        files[key] = key if text == key else text   # one string per file where the two spellings agree


def _is_batch_summary(path: FsPath) -> bool:
    try:
        if not path.is_file():
            return False
        with open(path, "rb") as handle:
            return handle.read(len(BATCH_JSON_PREFIX)) == BATCH_JSON_PREFIX
    except OSError:
        return False


def _is_batch_workbook(path: FsPath) -> bool:
    return path.is_file() and zip_has(path, "xl/workbook.xml", 'name="评分汇总"'.encode("utf-8"))
