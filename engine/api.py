"""The engine's front door: what the CLI (and any other caller) uses. No printing, no exiting."""

from __future__ import annotations

from pathlib import Path as FsPath
from typing import Iterable

from .checks import Context, run_checks
from .files import atomic_write, check_output
from .ruleset import Ruleset, choose, get_ruleset, search_path
from .scorecard import Finding, Scorecard
from .scoring import score
from .submission import Submission, load_submission


def ruleset_for(sub: Submission, ref: str | None, dirs: Iterable[str | FsPath] = ()) -> Ruleset:
    """--ruleset wins; then the ruleset the submission names; then the applicable one by kind and year."""
    path = search_path(dirs)
    if ref:
        return get_ruleset(ref, path)
    if sub.ruleset:   # a submission names a ruleset by ID, never by a file path
        return get_ruleset(sub.ruleset, path, allow_path=False)
    return choose(sub.kind, sub.year, sub.region, path)


def score_file(file: str | FsPath, ref: str | None = None, dirs: Iterable[str | FsPath] = ()) -> Scorecard:
    sub = load_submission(file)
    return score(sub, ruleset_for(sub, ref, dirs))


def check(sub: Submission, rs: Ruleset) -> Scorecard:
    """Score, then run the ruleset's consistency checks; the findings of both, sorted by location."""
    card = score(sub, rs)
    ctx = Context(sub, card, rs.tolerance, rs.grade_of, rs.grade_named, rs.category_named)
    card.findings = sorted(card.findings + run_checks(rs.checks, ctx), key=Finding.sort_key)
    return card


def check_file(file: str | FsPath, ref: str | None = None, dirs: Iterable[str | FsPath] = ()) -> Scorecard:
    sub = load_submission(file)
    return check(sub, ruleset_for(sub, ref, dirs))


def report_file(file: str | FsPath, out: str | FsPath, ref: str | None = None, template: str | None = None,
                dirs: Iterable[str | FsPath] = (), template_dirs: Iterable[str | FsPath] = (), force: bool = False) -> str:
    """Render the report of one submission to OUT (format from its extension). Returns the template used."""
    from . import render
    from .errors import Location, error
    from .reportview import build as build_view
    out = FsPath(out)
    fmt = render.FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise error(f"无法从扩展名 '{out.suffix or '（无）'}' 判断报告格式", Location(str(out)),
                    "输出文件请用 .md、.html、.pdf 或 .docx 结尾", code="E-USAGE")
    inputs = [FsPath(file)] + ([FsPath(ref)] if ref and FsPath(ref).is_file() else [])
    check_output(out, inputs, force)   # before the work: refuse an output that is an input, or read-only
    sub = load_submission(file)
    rs = ruleset_for(sub, ref, dirs)
    inputs.append(FsPath(rs.file))
    tdirs = render.template_dirs(template_dirs)
    ref_t = template or (f"{rs.template['set']}@{rs.template['version']}" if rs.template else None)
    if ref_t is None:
        raise error(f"规则集 {rs.ref} 没有指定报告模板", None, "用 --template SET@VERSION 指定", code="E-TEMPLATE")
    ts = render.find_template(ref_t, tdirs)
    card = check(sub, rs)
    view = build_view(sub, card, rs, ts.ref)
    data: bytes | str
    if fmt == "docx":
        data = render.render_docx(ts, view, tdirs)
    else:
        text = render.render_text(ts, fmt, view, tdirs)
        data = render.render_pdf(text, ts.folder) if fmt == "pdf" else text
    atomic_write(out, data, inputs + [ts.folder / name for name in render.SOURCE_FILE.values()], force)
    return ts.ref
