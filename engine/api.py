"""The engine's front door: what the CLI (and any other caller) uses. No printing, no exiting."""

from __future__ import annotations

from pathlib import Path as FsPath
from typing import TYPE_CHECKING, Iterable

from .files import atomic_write, check_output
from .ruleset import Ruleset, choose, get_ruleset, parse_ref, search_path
from .scorecard import Finding, Scorecard
from .scoring import score
from .submission import KIND_LABELS, Submission, load_submission

if TYPE_CHECKING:
    from .render import TemplateSet


def choose_ruleset(sub: Submission, ref: str | None, dirs: Iterable[str | FsPath] = (),
                   trust_submission: bool = True) -> tuple[Ruleset, list[Finding]]:
    """The ruleset to score `sub` with, and what a reviewer should know about that choice.

    `--ruleset` wins. Then, when the submission may choose (`score`, `check`, `report`: a unit scoring its own
    file), the ruleset it names; otherwise (`batch`, `replay`: the bureau's run) the applicable one by kind,
    year and region, and a submission that names another gets a W-RULESET-IGNORED finding. Whatever the
    choice, a ruleset whose applies_to does not cover the submission gets a W-RULESET-SCOPE finding."""
    path = search_path(dirs)
    notes: list[Finding] = []
    if ref:
        rs = get_ruleset(ref, path)
    elif sub.ruleset and trust_submission:   # a submission names a ruleset by ID, never by a file path
        rs = get_ruleset(sub.ruleset, path, allow_path=False)
    else:
        rs = choose(sub.kind, sub.year, sub.region, path)
        if sub.ruleset and not _same_ruleset(sub.ruleset, rs):
            notes.append(Finding("warning", "W-RULESET-IGNORED",
                                 f"自评数据指定规则集 {sub.ruleset}，按财政局适用的规则集 {rs.ref} 评分",
                                 sub.doc.loc(("ruleset",)), "ruleset"))
    if not rs.applies(sub.kind, sub.year, sub.region):
        notes.append(Finding("warning", "W-RULESET-SCOPE",
                             f"规则集 {rs.ref} 的适用范围（{scope_text(rs)}）不包括本自评数据（{_kind_cn(sub.kind)}，"
                             f"{sub.year} 年度{'，' + sub.region if sub.region else ''}）", sub.doc.loc(), "ruleset"))
    return rs, notes


def ruleset_for(sub: Submission, ref: str | None, dirs: Iterable[str | FsPath] = (),
                trust_submission: bool = True) -> Ruleset:
    return choose_ruleset(sub, ref, dirs, trust_submission)[0]


def _same_ruleset(named: str, rs: Ruleset) -> bool:
    name, version = parse_ref(named)
    return name == rs.id and (version is None or version == rs.version)


def _kind_cn(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


def scope_text(rs: Ruleset) -> str:
    """applies_to in words: 部门整体、项目 2020– 陕西省榆林市."""
    a = rs.applies_to
    years = a.get("years") or {}
    start, end = years.get("from"), years.get("to")
    if start is not None and end is not None:
        span = f"{start}–{end} 年度" if start != end else f"{start} 年度"
    elif start is not None:
        span = f"{start} 年度起"
    elif end is not None:
        span = f"至 {end} 年度"
    else:
        span = ""
    kinds = "、".join(_kind_cn(k) for k in (a.get("kinds") or [])) or "全部类型"
    regions = "、".join(map(str, a.get("regions") or []))
    return " ".join(part for part in (kinds, span, regions) if part)


def score_file(file: str | FsPath, ref: str | None = None, dirs: Iterable[str | FsPath] = ()) -> Scorecard:
    sub = load_submission(file)
    rs, notes = choose_ruleset(sub, ref, dirs)
    return with_notes(score(sub, rs), notes)


def score_file_with_checks(file: str | FsPath, ref: str | None = None,
                           dirs: Iterable[str | FsPath] = ()) -> tuple[Scorecard, dict[str, int]]:
    """`score_file`, and how many findings of each severity the consistency checks (`check`) would add."""
    from .checks import Context, run_checks
    sub = load_submission(file)
    rs, notes = choose_ruleset(sub, ref, dirs)
    card = with_notes(score(sub, rs), notes)
    ctx = Context(sub, card, rs.tolerance, rs.grade_of, rs.grade_named, rs.category_named)
    counts = {"error": 0, "warning": 0, "info": 0}
    for finding in run_checks(rs.checks, ctx):
        counts[finding.severity] = counts.get(finding.severity, 0) + 1
    return card, counts


def with_notes(card: Scorecard, notes: list[Finding]) -> Scorecard:
    if notes:
        card.findings = sorted(card.findings + notes, key=Finding.sort_key)
    return card


def check(sub: Submission, rs: Ruleset) -> Scorecard:
    """Score, then run the ruleset's consistency checks; the findings of both, sorted by location."""
    from .checks import Context, run_checks
    card = score(sub, rs)
    ctx = Context(sub, card, rs.tolerance, rs.grade_of, rs.grade_named, rs.category_named)
    card.findings = sorted(card.findings + run_checks(rs.checks, ctx), key=Finding.sort_key)
    return card


def check_file(file: str | FsPath, ref: str | None = None, dirs: Iterable[str | FsPath] = ()) -> Scorecard:
    sub = load_submission(file)
    rs, notes = choose_ruleset(sub, ref, dirs)
    return with_notes(check(sub, rs), notes)


def report_file(file: str | FsPath, out: str | FsPath, ref: str | None = None, template: str | None = None,
                dirs: Iterable[str | FsPath] = (), template_dirs: Iterable[str | FsPath] = (), force: bool = False) -> str:
    """Render the report of one submission to OUT (format from its extension). Returns the template used."""
    from . import render
    from .errors import Location, error
    out = FsPath(out)
    fmt = render.FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise error(f"无法从扩展名 '{out.suffix or '（无）'}' 判断报告格式", Location(str(out)),
                    "输出文件请用 .md、.html、.pdf 或 .docx 结尾", code="E-USAGE")
    inputs = [FsPath(file)] + ([FsPath(ref)] if ref and FsPath(ref).is_file() else [])
    check_output(out, inputs, force)   # before the work: refuse an output that is an input, or read-only
    sub = load_submission(file)
    rs, notes = choose_ruleset(sub, ref, dirs)
    inputs.append(FsPath(rs.file))
    tdirs = render.template_dirs(template_dirs)
    ts = report_template(rs, template, tdirs)
    data = render_report(sub, with_notes(check(sub, rs), notes), rs, fmt, ts, tdirs)
    atomic_write(out, data, inputs + [ts.folder / name for name in render.SOURCE_FILE.values()], force)
    return ts.ref


def report_template(rs: Ruleset, template: str | None, tdirs: list[FsPath]) -> "TemplateSet":
    """The template set named by `template` (SET@VERSION), else the one the ruleset names."""
    from . import render
    from .errors import error
    ref_t = template or (f"{rs.template['set']}@{rs.template['version']}" if rs.template else None)
    if ref_t is None:
        raise error(f"规则集 {rs.ref} 没有指定报告模板", None, "用 --template SET@VERSION 指定", code="E-TEMPLATE")
    return render.find_template(ref_t, tdirs)


def render_report(sub: Submission, card: Scorecard, rs: Ruleset, fmt: str, ts: "TemplateSet",
                  tdirs: list[FsPath]) -> bytes | str:
    """The report of a checked scorecard in `fmt` (md, html, pdf, docx): bytes for pdf/docx, text otherwise."""
    from . import render
    from .reportview import build as build_view
    view = build_view(sub, card, rs, ts.ref)
    if fmt == "docx":
        return render.render_docx(ts, view, tdirs)
    text = render.render_text(ts, fmt, view, tdirs)
    if fmt != "pdf":
        return text
    return render.render_pdf(text, ts.folder, list(dict.fromkeys(t.root for t in render.chain(ts, tdirs))))
