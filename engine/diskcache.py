"""What reading the ruleset files tells before any is compiled, kept on disk between runs.

Choosing a ruleset reads every file on the search path: its id and version, and (merged with its parents)
what it applies to. For `perfrules score` that is most of the work after start-up. This cache keeps those
answers in one JSON file, keyed by content: a header by the sha256 of the file's bytes, a scope by the
sha256 of every ruleset file on the path together. An edited, added or removed file is therefore never
answered from the cache, whatever its time stamps say.

The file lives in $PERFRULES_CACHE_DIR, else $XDG_CACHE_HOME/perfrules, else ~/.cache/perfrules, and is
named by the engine version. PERFRULES_CACHE_DIR set to an empty string turns the cache off. A cache that
cannot be read, parsed or written is ignored: it only ever saves time.
"""

from __future__ import annotations

import json
import os
from pathlib import Path as FsPath
from typing import Any

from . import __version__

MISSING = object()
MAX_ENTRIES = 5_000
_entries: dict[str, Any] | None = None
_dirty = False


def folder() -> FsPath | None:
    configured = os.environ.get("PERFRULES_CACHE_DIR")
    if configured is not None:
        return FsPath(configured) if configured else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return FsPath(base) / "perfrules"


def _file() -> FsPath | None:
    where = folder()
    return where / f"rulesets-{__version__}.json" if where else None


def _load() -> dict[str, Any]:
    global _entries
    if _entries is None:
        _entries = {}
        path = _file()
        if path is not None:
            try:
                with open(path, encoding="utf-8") as fh:
                    data = json.load(fh)
                if isinstance(data, dict):
                    _entries = data
            except (OSError, ValueError):
                pass
    return _entries


def get(kind: str, key: str) -> Any:
    return _load().get(f"{kind}:{key}", MISSING)


def put(kind: str, key: str, value: Any) -> None:
    global _dirty
    entries = _load()
    if folder() is None:
        return
    try:
        json.dumps(value)
    except (TypeError, ValueError):   # only plain data is kept (a scope with a Decimal is simply not cached)
        return
    if len(entries) >= MAX_ENTRIES:
        entries.clear()
    entries[f"{kind}:{key}"] = value
    if not _dirty:
        import atexit   # (tempfile and atexit only where something is written: most runs only read)
        _dirty = True
        atexit.register(save)


def save() -> None:
    """Write the cache (atomically) if this process added to it."""
    global _dirty
    path = _file()
    if not _dirty or path is None or _entries is None:
        return
    _dirty = False
    try:
        import tempfile
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".rulesets-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(_entries, fh, ensure_ascii=False)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except (OSError, TypeError, ValueError):
        pass


def forget() -> None:
    """Drop what this process holds (tests)."""
    global _entries, _dirty
    _entries, _dirty = None, False
