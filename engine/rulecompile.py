"""Compiling a ruleset document (validated against the schema) into a Ruleset: methods resolved and their
parameters checked, expressions parsed, categories indexed; checks compiled when first run. A compiled
`Ruleset` is immutable and reused for every submission it scores.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path as FsPath
from typing import TYPE_CHECKING, Any, Mapping

from . import methods
from .errors import Diagnostic, Path, PerfrulesError, did_you_mean, error, human
from .limits import sha256_hex
from .rulemodel import RATE_NAMES, Category, FixedIndicator, Grade, MethodRef, Rounding, Ruleset
from .schema import validate
from .targets import ValueError_, label_key, normalise, parse_value
from .yamlio import Document

if TYPE_CHECKING:
    from .checks import CompiledCheck

SUPPORTED_SCHEMA_VERSIONS = (1,)


def compile_document(doc: Document) -> Ruleset:
    _check_version(doc)
    parent = doc.data.pop("_parent", None)
    problems = validate(doc, "ruleset-v1", code="E-RULESET")
    if problems:
        raise PerfrulesError(problems)
    ruleset = _Compiler(doc).ruleset()
    ruleset.check_compiler = compile_checks
    ruleset.parent = parent
    return ruleset


def compile_checks(specs: list[tuple[Mapping[str, Any], Path]], keys: list[str], doc: Document) -> list["CompiledCheck"]:
    """A ruleset's checks, compiled; the problems of all of them at once."""
    compiler = _Compiler(doc)
    compiled = [c for c in (compiler._check(raw, path, keys) for raw, path in specs) if c is not None]
    if compiler.problems:
        raise PerfrulesError(compiler.problems)
    return compiled


def verdict_sources() -> list[FsPath]:
    """The engine's files whose code decides whether a ruleset compiles (its checks, the methods and their
    parameters, the linter): a change to any of them decides every ruleset again."""
    engine = FsPath(__file__).resolve().parent
    names = ["checkkit.py", "expressions.py", "methodkit.py", "rulecompile.py", "rulemodel.py", "lint.py"]
    names += sorted(p.name for p in engine.glob("methods*.py"))   # methods.py and each family's module
    names += sorted(p.name for p in engine.glob("checks*.py"))    # checks.py and each family's module
    return [engine / name for name in names]


def _verdict_key(sha: str) -> str:
    """A ruleset's content and the code that compiles checks: a changed engine decides again."""
    stamps = []
    for path in verdict_sources():
        try:
            stamps.append(str(path.stat().st_mtime_ns))
        except OSError:
            stamps.append("-")
    return sha + ":" + ",".join(stamps)


def _verdict(sha: str) -> bool:
    """Whether this engine has compiled and checked a ruleset of this content without a problem before."""
    from . import diskcache
    return diskcache.get("verdict", _verdict_key(sha)) is True


def remember_verdict(sha: str) -> None:
    from . import diskcache
    diskcache.put("verdict", _verdict_key(sha), True)


def _check_version(doc: Document) -> None:
    if not isinstance(doc.data, dict):
        raise error(f"规则集应是一个映射（键: 值），实际是{_kind(doc.data)}", doc.loc(),
                    "规则集文件以 schema_version、id、version 等键开头", code="E-RULESET")
    version = doc.data.get("schema_version")
    if version is None:
        raise error("缺少 schema_version", doc.loc(), "在文件开头写 schema_version: 1", code="E-RULESET")
    if version not in SUPPORTED_SCHEMA_VERSIONS:
        raise error(f"不支持的 schema_version {human(version)}", doc.loc(("schema_version",)),
                    f"本版本 perfrules 支持 {SUPPORTED_SCHEMA_VERSIONS}；请升级 perfrules 或改写规则集",
                    code="E-RULESET")


def _kind(value: Any) -> str:
    return {list: "列表", str: "一段文字", int: "数字", Decimal: "数字", bool: "真假值"}.get(type(value), "其他")


class _Compiler:
    def __init__(self, doc: Document):
        self.doc = doc
        self.data: dict[str, Any] = doc.data
        self.problems: list[Diagnostic] = []
        self.presets: dict[str, Any] = self.data.get("presets") or {}

    def ruleset(self) -> Ruleset:
        d = self.data
        by_operator = self._by_operator(d.get("methods_by_operator") or {}, ("methods_by_operator",))
        for name in self.presets:   # every preset is checked, used or not: nothing written goes unparsed
            self._method(name, ("presets", name), partial=True)
        categories = [self._category(c, ("categories", i), None) for i, c in enumerate(d["categories"])]
        self._check_keys(categories)
        self._check_absent_targets(categories)
        flat = (d.get("defaults") or {}).get("flat_category")
        known = {c.key for root in categories for c in root.walk()}
        if flat is not None and flat not in known:
            self._problem(f"defaults.flat_category 指向不存在的类别 '{flat}'", ("defaults", "flat_category"),
                          did_you_mean(flat, known))
        defaults = d.get("defaults") or {}
        rounding = Rounding(**{k.replace("-", "_"): v for k, v in (d.get("rounding") or {}).items()})
        grades = [Grade(g["label"], Decimal(g["min"]), tuple(normalise(a) for a in g.get("aliases", [])))
                  for g in d["grades"]]
        keys = [c.key for root in categories for c in root.walk()]
        specs: list[tuple[Mapping[str, Any], Path]] = [(raw, ("checks", i)) for i, raw in enumerate(d.get("checks") or [])]
        sha = content_hash(d)
        checked = _verdict(sha)
        compiled = None
        if not checked:   # compiled now, with every other problem of the file reported together
            compiled = [c for c in (self._check(raw, path, keys) for raw, path in specs) if c is not None]
        if self.problems:
            raise PerfrulesError(self.problems)
        ruleset = Ruleset(
            id=d["id"], version=d["version"], title=d["title"], description=d.get("description", ""),
            basis=list(d.get("basis") or []), priority=d.get("priority", 0), applies_to=d.get("applies_to") or {},
            template=d.get("template"), rounding=rounding, grades=grades,
            bare_operator=defaults.get("bare_operator", ">="),
            points_mismatch=defaults.get("points_mismatch", "warn"),
            tolerance=Decimal(defaults.get("tolerance", Decimal("0.01"))),
            fractions=defaults.get("fractions", "refuse"),
            caps=sorted(d.get("caps") or [], key=lambda c: c["max_total"]),
            flat_category=defaults.get("flat_category"),
            direction_words={k: tuple(label_key(w) for w in v) for k, v in (defaults.get("direction_words") or {}).items()},
            rate_names=tuple(normalise(n) for n in defaults.get("rate_names", RATE_NAMES)),
            by_operator=by_operator, categories=categories, check_specs=specs,
            file=self.doc.file, sha256=sha, doc=self.doc,
        )
        if compiled is not None:
            ruleset.__dict__["checks"] = compiled
        return ruleset

    def _category(self, raw: Any, path: Path, parent: Category | None) -> Category:
        if isinstance(raw, str):
            raw = {"label": raw}
        key = raw.get("key") or _slug(raw["label"], path)
        cat = Category(
            key=key, label=raw["label"], aliases=tuple(raw.get("aliases", [])),
            points=Decimal(raw["points"]) if raw.get("points") is not None else None,
            children=[], indicators=[], accepts_own=True,
            method=self._method(raw.get("method"), path + ("method",)),
            by_operator=self._by_operator(raw.get("methods_by_operator") or {}, path + ("methods_by_operator",)),
            bare_operator=raw.get("bare_operator"), points_mismatch=raw.get("points_mismatch"),
            when_absent=raw.get("when_absent"), source=self.doc.loc(path), path=path, parent=parent,
        )
        cat.children = [self._category(c, path + ("children", i), cat) for i, c in enumerate(raw.get("children", []))]
        cat.indicators = [self._indicator(x, path + ("indicators", i)) for i, x in enumerate(raw.get("indicators", []))]
        cat.accepts_own = raw.get("accepts_own", not cat.children and not cat.indicators)
        return cat

    def _indicator(self, raw: dict[str, Any], path: Path) -> FixedIndicator:
        if raw.get("target") is not None:   # parsed now: `=>90%` is the author's error at its line, not exit 3
            try:
                parse_value(raw["target"])
            except ValueError_ as exc:
                self._problem(f"共性指标“{raw['name']}”的年度指标值无法识别：{exc.message}", path + ("target",), exc.hint)
        return FixedIndicator(
            key=raw.get("key") or _slug(raw["name"], path), name=raw["name"],
            aliases=tuple(raw.get("aliases", [])), points=Decimal(raw["points"]),
            method=self._method(raw.get("method"), path + ("method",)), source=raw.get("source", "indicator"),
            target=raw.get("target"), where=self.doc.loc(path),
        )

    def _by_operator(self, raw: Mapping[str, Any], path: Path) -> dict[str, MethodRef]:
        out = {}
        for op, ref in raw.items():
            compiled = self._method(ref, path + (op,))
            if compiled is not None:
                out[op] = compiled
        return out

    def _method(self, ref: Any, path: Path, seen: tuple[str, ...] = (), partial: bool = False) -> MethodRef | None:
        """A method reference: a method name, a preset name, or {use: name, params…} (presets may chain)."""
        if ref is None:
            return None
        if isinstance(ref, str):
            ref = {"use": ref}
        name, overrides = ref["use"], {k: v for k, v in ref.items() if k != "use"}
        if name in self.presets:
            if name in seen:
                self._problem(f"预设 '{name}' 循环引用自身", path)
                return None
            where = path if overrides else ("presets", name)
            inner = self._method({**self.presets[name], **overrides}, where, seen + (name,), partial)
            return MethodRef(inner.method, inner.params, name, inner.where) if inner else None
        if name not in methods.REGISTRY:
            self._problem(f"未知的评分方法 '{name}'", path, did_you_mean(name, [*methods.REGISTRY, *self.presets]))
            return None
        method = methods.get(name)
        try:
            return MethodRef(method, method.compile_params(overrides), name, self.doc.loc(path))
        except methods.ParamError as exc:
            if not (partial and exc.missing):
                self._problem(exc.message, path, exc.hint)
            return None

    def _check(self, raw: Mapping[str, Any], path: Path, keys: list[str]) -> "CompiledCheck | None":
        from .checks import compile_check
        try:
            return compile_check(raw, keys)
        except methods.ParamError as exc:
            self._problem(exc.message, path, exc.hint)
            return None

    def _check_keys(self, categories: list[Category]) -> None:
        seen: dict[str, Category] = {}
        for root in categories:
            for cat in root.walk():
                if cat.key in seen:
                    self._problem(f"类别键 '{cat.key}' 重复（另一处在 {seen[cat.key].source}）", cat.path,
                                  "给其中一个类别写不同的 key")
                seen[cat.key] = cat

    def _check_absent_targets(self, categories: list[Category]) -> None:
        keys = {c.key for root in categories for c in root.walk()}
        for root in categories:
            for cat in root.walk():
                absent = cat.when_absent or {}
                for target in [absent.get("move_to"), *absent.get("pro_rata", [])]:
                    if target is not None and target not in keys:
                        self._problem(f"when_absent 指向不存在的类别 '{target}'", cat.path + ("when_absent",),
                                      did_you_mean(target, keys))

    def _problem(self, message: str, path: Path, hint: str | None = None) -> None:
        self.problems.append(Diagnostic(message, self.doc.loc(path), hint, "E-RULESET"))


def _slug(label: str, path: Path) -> str:
    return "c" + "_".join(str(p) for p in path if isinstance(p, int))


def content_hash(data: Any) -> str:
    """A hash of the ruleset's meaning (not its formatting), for provenance."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return sha256_hex(text.encode("utf-8"))


# ------------------------------------------------------------------------------------------ search path
