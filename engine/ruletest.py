"""Ruleset tests as data beside the ruleset: `x-2024.1.test.yaml` next to `x-2024.1.yaml`.

A case gives a submission (a file path, relative to the test file, or inline) and what to expect: total,
grade, category scores by key, indicator scores by name, finding codes that must and must not appear.
The same loader and scorer as `perfrules check` run them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path as FsPath
from typing import Any, Iterable

from .api import check
from .errors import Location, Path, PerfrulesError, did_you_mean, error
from .methods import fmt
from .ruleset import Ruleset, display, get_ruleset
from .submission import Submission, build, load_submission
from .yamlio import Document, load_file

CASE_KEYS = {"name", "submission", "expect", "ruleset"}
EXPECT_KEYS = {"total", "grade", "categories", "indicators", "findings", "no_findings"}


@dataclass
class CaseResult:
    ruleset: str
    name: str
    location: Location
    failures: list[str] = field(default_factory=list)
    methods: set[str] = field(default_factory=set)

    @property
    def passed(self) -> bool:
        return not self.failures

    def to_json(self) -> dict[str, Any]:
        return {"ruleset": self.ruleset, "name": self.name, "passed": self.passed, "failures": self.failures,
                "location": self.location.to_json()}


@dataclass
class SuiteResult:
    cases: list[CaseResult]
    untested: dict[str, list[str]]      # ruleset ref → methods it uses that no case exercised

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.cases) and not any(self.untested.values())


def test_file_for(ruleset_file: FsPath) -> FsPath:
    return ruleset_file.with_name(ruleset_file.name.removesuffix(".yaml") + ".test.yaml")


def discover(paths: Iterable[str | FsPath], dirs: list[FsPath]) -> list[FsPath]:
    """Test files from paths that are test files, ruleset files or directories; none given: the search path."""
    out: list[FsPath] = []
    targets = [FsPath(p) for p in paths] or [d for d in dirs if d.is_dir()]
    for target in targets:
        if target.is_dir():
            out += sorted(target.rglob("*.test.yaml"))
        elif target.name.endswith(".test.yaml"):
            out.append(target)
        elif target.suffix in (".yaml", ".yml"):
            candidate = test_file_for(target)
            if not candidate.is_file():
                raise error("这个规则集旁边没有测试文件", Location(str(target)),
                            f"新建 {candidate.name}，写上 cases（见 docs/ruleset-guide.md“测试”一节）", code="E-TEST")
            out.append(candidate)
        else:
            raise error("不是规则集、测试文件或目录", Location(str(target)), code="E-TEST")
    return list(dict.fromkeys(out))


def run_suite(test_files: list[FsPath], dirs: list[FsPath]) -> SuiteResult:
    cases: list[CaseResult] = []
    used: dict[str, set[str]] = {}
    exercised: dict[str, set[str]] = {}
    for path in test_files:
        for ruleset, result in _run_file(path, dirs):
            cases.append(result)
            used.setdefault(ruleset.ref, {r.name for r in ruleset.method_refs()} | _method_names(ruleset))
            exercised.setdefault(ruleset.ref, set()).update(result.methods)
    untested = {ref: sorted(methods - exercised.get(ref, set())) for ref, methods in used.items()}
    return SuiteResult(cases, untested)


def _method_names(rs: Ruleset) -> set[str]:
    return {r.method.name for r in rs.method_refs()}


def _run_file(path: FsPath, dirs: list[FsPath]) -> list[tuple[Ruleset, CaseResult]]:
    doc = load_file(path, display(path))
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise error("测试文件应有 cases 列表", doc.loc(), "见 docs/ruleset-guide.md“测试”一节", code="E-TEST")
    default_ref = data.get("ruleset") or str(path.with_name(path.name.removesuffix(".test.yaml") + ".yaml"))
    out = []
    for i, case in enumerate(data["cases"]):
        where: Path = ("cases", i)
        _keys(doc, case, CASE_KEYS, where)
        ruleset = get_ruleset(str(case.get("ruleset") or default_ref), dirs)
        out.append((ruleset, _run_case(doc, path, case, where, ruleset)))
    return out


def _keys(doc: Document, value: Any, allowed: set[str], path: Path) -> None:
    if not isinstance(value, dict):
        raise error("应是一个映射（键: 值）", doc.loc(path), code="E-TEST")
    extra = sorted(set(value) - allowed)
    if extra:
        raise error(f"未知的键 '{extra[0]}'", doc.loc(path + (extra[0],)), did_you_mean(extra[0], allowed), code="E-TEST")


def _run_case(doc: Document, path: FsPath, case: dict[str, Any], where: Path, rs: Ruleset) -> CaseResult:
    name = str(case.get("name") or f"第 {int(where[1]) + 1} 个用例")
    result = CaseResult(rs.ref, name, doc.loc(where))
    expect = case.get("expect") or {}
    _keys(doc, expect, EXPECT_KEYS, where + ("expect",))
    try:
        sub = _submission(doc, path, case.get("submission"), where + ("submission",), rs)
        card = check(sub, rs)
    except PerfrulesError as exc:
        # One unreadable or unscorable submission fails its case, not the whole run.
        result.failures.append(f"无法评分：{exc.first}")
        return result
    result.methods = {i.method for i in card.indicators if i.method and i.status == "scored"}
    result.methods |= {r.method.name for r in rs.method_refs() if r.name in result.methods}
    _compare(result, "总分", expect.get("total"), card.total)
    _compare(result, "等级", expect.get("grade"), card.grade)
    cats = {c.key: c.score for c in card.all_categories()}
    for key, want in (expect.get("categories") or {}).items():
        _compare(result, f"类别 {key}", want, cats.get(key, "（无此类别）"))
    scores = {i.name: i.score for i in card.indicators}
    for key, want in (expect.get("indicators") or {}).items():
        _compare(result, f"指标 {key}", want, scores.get(key, "（无此指标）"))
    codes = [f.code for f in card.findings]
    for code in expect.get("findings") or []:
        if code not in codes:
            result.failures.append(f"应有问题 {code}，实际问题：{', '.join(codes) or '无'}")
    for code in expect.get("no_findings") or []:
        if code in codes:
            result.failures.append(f"不应有问题 {code}，实际出现了 {codes.count(code)} 次")
    return result


def _compare(result: CaseResult, label: str, want: Any, got: Any) -> None:
    if want is None:
        return
    same = (Decimal(want) == got) if isinstance(want, (int, Decimal)) and isinstance(got, Decimal) else (str(want) == str(got))
    if not same:
        shown = fmt(got) if isinstance(got, Decimal) else got
        result.failures.append(f"{label}：期望 {want}，实际 {shown}")


def _submission(doc: Document, path: FsPath, spec: Any, where: Path, rs: Ruleset) -> Submission:
    if isinstance(spec, str):
        return load_submission(path.parent / spec, str(path.parent / spec))
    if not isinstance(spec, dict):
        raise error("submission 应是文件路径或内联的自评数据", doc.loc(where), code="E-TEST")
    kinds = (rs.applies_to.get("kinds") or ["project"])
    years = rs.applies_to.get("years") or {}
    data = {"schema_version": 1, "kind": kinds[0], "year": years.get("from", 2024), "unit": "测试单位", **spec}
    prefix = len(where)
    lines = {p[prefix:]: line for p, line in doc.lines.items() if p[:prefix] == where}
    return build(Document(data=data, file=doc.file, lines=lines, sha256=doc.sha256))

