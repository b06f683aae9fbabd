"""Rulesets: found on the search path, loaded (with `extends` merged), compiled, checked, chosen.

Stages are separate and visible: `load_file` (guarded YAML) → `_check_version` (schema_version read alone,
first) → `extends` merged (inherit.py) → JSON Schema → compiled (rulecompile.py) into the model
(rulemodel.py). Finding and loading depend on each other (a parent is found on the path; a broken file is
loaded to say why), so they stay in this module; the model and the compiler are below it.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path as FsPath
from typing import Any, Iterable

from .errors import Diagnostic, Location, PerfrulesError, did_you_mean, error
from .inherit import Merger
from .limits import MAX_FILE_BYTES, sha256_hex
from .rulecompile import _check_version, compile_document, remember_verdict
from .rulemodel import Ruleset, _applies
from .yamlio import Document, load_file

SHIPPED_DIR = FsPath(__file__).resolve().parent.parent / "rulesets"


def load_ruleset(path: str | FsPath, dirs: Iterable[FsPath] = (), display_name: str | None = None) -> Ruleset:
    return compile_document(resolve_document(path, list(dirs), (), display_name))


def resolve_document(path: str | FsPath, dirs: list[FsPath], chain: tuple[str, ...] = (),
                     display_name: str | None = None) -> Document:
    """Load a ruleset file and, when it `extends` another, merge it onto its resolved parent."""
    doc = load_file(path, display_name or display(path))
    _check_version(doc)
    parent_ref = doc.data.get("extends")
    if parent_ref is None:
        return doc
    if not isinstance(parent_ref, str) or not parent_ref.strip():
        raise error("extends 应写父规则集的 ID@版本，如 cn/unit-overall@2024.1", doc.loc(("extends",)),
                    code="E-RULESET")
    me = f"{doc.data.get('id')}@{doc.data.get('version')}"
    if parent_ref in chain or parent_ref == me:
        raise error(f"规则集继承形成循环：{' → '.join(chain + (me, parent_ref))}", doc.loc(("extends",)),
                    "去掉其中一个 extends", code="E-RULESET")
    try:   # a parent is an id@version on the search path, never a file named by the ruleset (no path escapes)
        entry = find(parent_ref, dirs, allow_path=False)
    except PerfrulesError as exc:
        raise error(f"找不到父规则集 '{parent_ref}'：{exc.first.message}", doc.loc(("extends",)),
                    exc.first.hint, code="E-RULESET") from None
    parent = resolve_document(entry.path, dirs, chain + (me,))
    merged = Merger(parent, doc).merge()
    merged.data["_parent"] = parent_ref
    return merged


def display(path: str | FsPath) -> str:
    """A short name for messages: `rulesets/cn/x.yaml` for shipped files, else relative to the cwd."""
    p = FsPath(path).resolve()
    for base, prefix in ((SHIPPED_DIR, "rulesets"), (FsPath.cwd(), "")):
        try:
            rel = p.relative_to(base)
        except ValueError:
            continue
        return str(FsPath(prefix) / rel) if prefix else str(rel)
    return str(path)


def search_path(extra: Iterable[str | FsPath] = ()) -> list[FsPath]:
    dirs = [FsPath(d) for d in extra]
    env = os.environ.get("PERFRULES_PATH", "")
    dirs += [FsPath(d) for d in env.split(os.pathsep) if d]
    dirs.append(SHIPPED_DIR)
    return dirs


@dataclass(frozen=True)
class Entry:
    id: str
    version: str
    path: FsPath


def version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"[.\-]", version))


def ruleset_files(d: FsPath) -> list[FsPath]:
    """The files of a ruleset folder that are rulesets (not test cases, nothing under tests/)."""
    return [p for p in sorted(d.rglob("*.yaml"))
            if not p.name.endswith(".test.yaml") and "tests" not in p.relative_to(d).parts]


def scan(dirs: Iterable[FsPath]) -> tuple[list[Entry], list[FsPath]]:
    """Every ruleset on the path by (id, version), earlier directories shadowing later ones; and every
    file on the path that could not even be read far enough to know its id and version (a broken file
    never hides, and never breaks the use of the others)."""
    found: dict[tuple[str, str], Entry] = {}
    broken: list[FsPath] = []
    for d in dirs:
        if not d.is_dir():
            continue
        for path in ruleset_files(d):
            header = _header(path)
            if header is None:
                broken.append(path)
            elif header not in found:
                found[header] = Entry(header[0], header[1], path)
    return list(found.values()), broken


def index(dirs: Iterable[FsPath]) -> list[Entry]:
    key = tuple(map(str, dirs))
    if _REMEMBERED is not None:
        if key not in _REMEMBERED:
            _REMEMBERED[key] = scan([FsPath(d) for d in key])[0]
        return _REMEMBERED[key]
    return scan(dirs)[0]


# A run over many files (batch, replay, each batch worker) looks the search path up once: the rulesets do
# not change during a run. A single command looks it up afresh each time (a test or an editor may change a
# ruleset between two calls in one process).
_REMEMBERED: dict[tuple[str, ...], list[Entry]] | None = None


# In the same runs, the ruleset chosen for a (kind, year, region) and the one a reference names are found
# once: every later file of the run gets the same compiled ruleset without a scan or a stat.
_CHOSEN: dict[tuple[Any, ...], "Ruleset"] = {}


def remember_lookups() -> None:
    """From now on in this process, scan each ruleset search path once (batch workers call it)."""
    global _REMEMBERED
    if _REMEMBERED is None:
        _REMEMBERED = {}
        _CHOSEN.clear()


def forget_lookups() -> None:
    global _REMEMBERED
    _REMEMBERED = None
    _CHOSEN.clear()


def _file_sha(path: FsPath) -> str | None:
    """The sha256 of a ruleset file's bytes, or None when it cannot be read (a dangling symlink, a folder)."""
    try:
        st = path.stat()
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):   # a FIFO or a device is never opened (it could block or never end)
        return None
    return _file_sha_cached(str(path), st.st_mtime_ns, st.st_size, st.st_ino)


@lru_cache(maxsize=1024)
def _file_sha_cached(path: str, mtime_ns: int, size: int, inode: int) -> str | None:
    try:
        with open(path, "rb") as fh:
            return sha256_hex(fh.read(MAX_FILE_BYTES + 1))
    except OSError:
        return None


@lru_cache(maxsize=256)
def _header_cached(path: str, sha: str) -> tuple[str, str] | None:
    from . import diskcache
    known = diskcache.get("header", sha)
    if known is not diskcache.MISSING:
        return (known[0], known[1]) if known else None
    try:
        doc = load_file(path)
    except PerfrulesError:
        diskcache.put("header", sha, None)
        return None
    data = doc.data
    header = None
    if isinstance(data, dict) and isinstance(data.get("id"), str) and isinstance(data.get("version"), str):
        header = (data["id"], data["version"])
    diskcache.put("header", sha, list(header) if header else None)
    return header


def _header(path: FsPath) -> tuple[str, str] | None:
    sha = _file_sha(path)
    if sha is None:   # a dangling or looping symlink
        return None
    return _header_cached(str(path), sha)


def parse_ref(ref: str) -> tuple[str, str | None]:
    name, _, version = ref.partition("@")
    return name.strip(), (version.strip() or None)


def find(ref: str, dirs: Iterable[FsPath], allow_path: bool = True) -> Entry:
    """`id@version`, or `id` for its newest version, or (when `allow_path`: from the command line, never
    from a submission) a path to a ruleset file."""
    if allow_path and ref.endswith((".yaml", ".yml")) and FsPath(ref).is_file():
        header = _header(FsPath(ref))
        if header is None:
            load_ruleset(ref, dirs)  # raises the precise error
            raise error("无法读取规则集头部", Location(ref), code="E-RULESET")
        return Entry(header[0], header[1], FsPath(ref))
    name, version = parse_ref(ref)
    entries = index(dirs)
    same = [e for e in entries if e.id == name]
    if not same:
        broken = broken_files_note(dirs)
        raise error(f"找不到规则集 '{name}'" + (f"；{broken}" if broken else ""), None,
                    did_you_mean(name, {e.id for e in entries}) + "；用 perfrules rulesets list 查看全部"
                    + ("；修好上面的文件后再试，perfrules rulesets check 列出它的全部问题" if broken else ""),
                    code="E-RULESET-UNKNOWN")
    if version is None:
        return max(same, key=lambda e: version_key(e.version))
    for e in same:
        if e.version == version:
            return e
    raise error(f"规则集 '{name}' 没有版本 '{version}'", None,
                f"已有版本：{', '.join(sorted((e.version for e in same), key=version_key))}", code="E-RULESET-UNKNOWN")


def broken_files_note(dirs: Iterable[FsPath]) -> str:
    """The ruleset files on the search path that cannot be read far enough to know their id, each with its
    first problem as `rulesets check` gives it: the ruleset asked for may be one of them."""
    _, broken = scan([FsPath(d) for d in dirs])
    notes = []
    for path in broken[:3]:
        try:
            load_ruleset(path, list(dirs))
            continue
        except PerfrulesError as exc:
            first = exc.first
            notes.append(f"{first.location or display(path)}：{first.message}")
    if not notes:
        return ""
    more = f"（另有 {len(broken) - 3} 个）" if len(broken) > 3 else ""
    return f"搜索路径上有无法读取的规则集文件{more}：" + "；".join(notes)


_COMPILED: dict[tuple[str, float], Ruleset] = {}


def get_ruleset(ref: str, dirs: Iterable[FsPath], allow_path: bool = True) -> Ruleset:
    """Find, compile and check once per process. A ruleset that fails `rulesets check` (points that do not
    add up, gaps between bands, two grades at one minimum) is refused with the check's messages: it is
    never used to score."""
    dirs = list(dirs)
    remembered = ("ref", ref, tuple(map(str, dirs)), allow_path)
    if _REMEMBERED is not None and remembered in _CHOSEN:
        return _CHOSEN[remembered]
    entry = find(ref, dirs, allow_path)
    key = (str(entry.path.resolve()), entry.path.stat().st_mtime)
    if key not in _COMPILED:
        from .lint import lint
        ruleset = load_ruleset(entry.path, dirs)
        problems = [d for d in lint(ruleset) if d.code != "E-RULESET-TEMPLATE" and not d.code.startswith("W-")]
        if problems:
            raise PerfrulesError([Diagnostic(f"规则集 {ruleset.ref} 没有通过检查：{d.message}", d.location,
                                             (d.hint + "；" if d.hint else "") + "用 perfrules rulesets check 查看全部问题",
                                             d.code) for d in problems])
        if "checks" in ruleset.__dict__:   # compiled whole just now, and it passed: say so for next time
            remember_verdict(ruleset.sha256)
        _COMPILED[key] = ruleset
    if _REMEMBERED is not None:
        _CHOSEN[remembered] = _COMPILED[key]
    return _COMPILED[key]


def choose(kind: str, year: int, region: str | None, dirs: Iterable[FsPath]) -> Ruleset:
    """The ruleset for a submission that names none: the applicable one of highest priority, newest version.

    Only the chosen ruleset is compiled; the others are read (and merged with their parents) just far
    enough to know what they apply to."""
    dirs = list(dirs)
    remembered = ("scope", kind, year, region, tuple(map(str, dirs)))
    if _REMEMBERED is not None and remembered in _CHOSEN:
        return _CHOSEN[remembered]
    candidates = []
    fingerprint = _fingerprint(dirs)
    for entry in index(dirs):
        applies_to, priority = _scope(entry, dirs, fingerprint)
        if _applies(applies_to, kind, year, region):
            candidates.append((priority, version_key(entry.version), entry.id, entry))
    if not candidates:
        raise error(f"没有适用于 {kind}、{year} 年度的规则集", None,
                    "用 --ruleset 指定一个，或用 perfrules rulesets list 查看全部", code="E-RULESET-UNKNOWN")
    chosen = get_ruleset(str(max(candidates, key=lambda c: c[:3])[3].path), dirs)
    if _REMEMBERED is not None:
        _CHOSEN[remembered] = chosen
    return chosen


def _scope(entry: Entry, dirs: list[FsPath], fingerprint: str | None = None) -> tuple[dict[str, Any], int]:
    return _scope_cached(str(entry.path), fingerprint or _fingerprint(dirs), tuple(map(str, dirs)))


def _fingerprint(dirs: list[FsPath]) -> str:
    """The sha256 of every ruleset file on the search path (path and content): a scope depends on the file
    and on the parents it extends, which are found on the same path."""
    parts = []
    for d in dirs:
        if d.is_dir():
            parts += [f"{p}\0{_file_sha(p)}" for p in ruleset_files(d)]
    return sha256_hex("\n".join(parts).encode("utf-8", "surrogateescape"))


@lru_cache(maxsize=256)
def _scope_cached(path: str, fingerprint: str, dirs: tuple[str, ...]) -> tuple[dict[str, Any], int]:
    from . import diskcache
    key = f"{fingerprint}:{path}"
    known = diskcache.get("scope", key)
    if known is not diskcache.MISSING:
        return known[0], known[1]
    try:
        data = resolve_document(path, [FsPath(d) for d in dirs]).data
    except PerfrulesError:
        return {"kinds": []}, 0   # a broken ruleset applies to nothing; `rulesets check` says why
    applies = data.get("applies_to") if isinstance(data.get("applies_to"), dict) else {}
    priority = data.get("priority") if isinstance(data.get("priority"), int) else 0
    diskcache.put("scope", key, [applies, priority])
    return applies, priority
