"""What `perfrules rulesets show` and `rulesets check` print, kept out of the CLI."""

from __future__ import annotations

from pathlib import Path as FsPath
from typing import Any, Iterable

from .errors import Diagnostic, PerfrulesError, json_path
from .lint import lint
from .ruleset import SHIPPED_DIR, Ruleset, display, load_ruleset, ruleset_files, scan, search_path


def raw_text(rs: Ruleset) -> str:
    head = f"# {rs.ref}  {rs.title}\n# 文件：{rs.file}" + (f"\n# 继承：{rs.parent}（用 --resolved 查看展开结果）" if rs.parent else "")
    path = FsPath(rs.file)
    if not path.is_absolute() and rs.file.startswith("rulesets/"):
        path = SHIPPED_DIR / rs.file.removeprefix("rulesets/")
    return head + "\n" + path.read_text(encoding="utf-8")


def origins(rs: Ruleset) -> list[tuple[str, str, str]]:
    """Every leaf value of the resolved ruleset with the file:line it came from."""
    out: list[tuple[str, str, str]] = []
    _leaves(rs, rs.doc.data, (), out)
    return out


def _leaves(rs: Ruleset, value: Any, path: tuple[Any, ...], out: list[tuple[str, str, str]]) -> None:
    if isinstance(value, dict) and value:
        for k, v in value.items():
            _leaves(rs, v, path + (k,), out)
    elif isinstance(value, list) and value and any(isinstance(v, (dict, list)) for v in value):
        for i, v in enumerate(value):
            _leaves(rs, v, path + (i,), out)
    else:
        loc = rs.doc.loc(path)
        shown = value if isinstance(value, str) else str(value)
        out.append((json_path(path), shown, f"{loc.file}:{loc.line}"))


def check_rulesets(paths: Iterable[str], extra_dirs: Iterable[str]) -> list[tuple[str, list[Diagnostic]]]:
    dirs = search_path(extra_dirs)
    if paths:
        files = [FsPath(p) for p in paths]
    else:   # every file on the path, the unreadable ones included: none may pass by being skipped
        entries, broken = scan(dirs)
        files = [e.path for e in sorted(entries, key=lambda e: (e.id, e.version))] + broken
    expanded: list[FsPath] = []
    for f in files:
        if f.is_dir():
            expanded += ruleset_files(f)
        else:
            expanded.append(f)
    results = []
    for f in expanded:
        try:
            results.append((display(f), lint(load_ruleset(f, dirs))))
        except PerfrulesError as exc:
            results.append((display(f), exc.diagnostics))
    return results
