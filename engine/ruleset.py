"""Rulesets: find, load, validate, compile.

Stages are separate and visible: `load_document` (guarded YAML) → `_check_version` (schema_version read
alone, first) → JSON Schema → `compile_ruleset` (methods resolved, parameters checked, expressions parsed).
A compiled `Ruleset` is immutable and reused for every submission it scores.
"""

from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from functools import cached_property, lru_cache
from pathlib import Path as FsPath
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from . import methods
from .errors import Diagnostic, Location, Path, PerfrulesError, did_you_mean, error, human
from .inherit import Merger
from .limits import MAX_FILE_BYTES, sha256_hex
from .schema import validate
from .targets import ValueError_, label_key, normalise, parse_value
from .yamlio import Document, load_file

if TYPE_CHECKING:   # checks load when a ruleset's checks are first compiled (not for `score`)
    from .checks import CompiledCheck

SUPPORTED_SCHEMA_VERSIONS = (1,)
SHIPPED_DIR = FsPath(__file__).resolve().parent.parent / "rulesets"
OPERATORS = (">=", ">", "=", "<=", "<", "qualitative", "deadline")  # the operators methods_by_operator names
RATE_NAMES = ("率", "满意度", "占比", "比例", "比重")
_QUANTUM = {places: Decimal(1).scaleb(-places) for places in range(7)}
_ROUNDING = {"half-up": ROUND_HALF_UP, "half-even": ROUND_HALF_EVEN, "down": ROUND_DOWN}


@dataclass(frozen=True)
class MethodRef:
    method: methods.Method
    params: Mapping[str, Any]
    name: str                      # what the ruleset called it (a preset name or the method name)
    where: Location | None = None  # where its parameters were written

    def run(self, inp: methods.MethodInput) -> methods.Outcome:
        return self.method.func(inp, self.params)


@dataclass(frozen=True)
class Rounding:
    decimals: int = 2
    total_decimals: int = 2
    mode: str = "half-up"
    grade_on: str = "rounded"

    def __post_init__(self) -> None:   # the quantum and mode looked up once, not per score
        object.__setattr__(self, "_score_q", _QUANTUM[self.decimals])
        object.__setattr__(self, "_total_q", _QUANTUM[self.total_decimals])
        object.__setattr__(self, "_mode", _ROUNDING[self.mode])

    def score(self, x: Decimal) -> Decimal:
        return x.quantize(self._score_q, rounding=self._mode)   # type: ignore[attr-defined]

    def total(self, x: Decimal) -> Decimal:
        return x.quantize(self._total_q, rounding=self._mode)   # type: ignore[attr-defined]


@dataclass(frozen=True)
class Grade:
    label: str
    min: Decimal
    aliases: tuple[str, ...] = ()

    def matches(self, text: str) -> bool:
        text = normalise(text)
        return text == self.label or text in self.aliases


def _names(label: str, aliases: tuple[str, ...], key: str) -> frozenset[str]:
    """Every spelling a unit's table may use for a category or indicator, as matched (label_key), and its key."""
    return frozenset({label_key(label), *(label_key(a) for a in aliases), key})


@dataclass
class FixedIndicator:
    key: str
    name: str
    aliases: tuple[str, ...]
    points: Decimal
    method: MethodRef | None
    source: str
    target: Any
    where: Location

    def names(self) -> frozenset[str]:
        return self._names

    @cached_property
    def _names(self) -> frozenset[str]:
        return _names(self.name, self.aliases, self.key)


@dataclass
class Category:
    key: str
    label: str
    aliases: tuple[str, ...]
    points: Decimal | None
    children: list["Category"]
    indicators: list[FixedIndicator]
    accepts_own: bool
    method: MethodRef | None
    by_operator: dict[str, MethodRef]
    bare_operator: str | None
    points_mismatch: str | None
    when_absent: dict[str, Any] | None
    source: Location
    path: Path = ()
    parent: "Category | None" = field(default=None, repr=False)

    # The scorer asks these for every row of every submission: computed once per compiled ruleset.
    def names(self) -> frozenset[str]:
        return self._names

    @cached_property
    def _names(self) -> frozenset[str]:
        return _names(self.label, self.aliases, self.key)

    @cached_property
    def child_index(self) -> dict[str, "Category"]:
        return _index(self.children)

    def walk(self) -> list["Category"]:
        return self._subtree

    @cached_property
    def _subtree(self) -> list["Category"]:
        out = [self]
        for child in self.children:
            out += child.walk()
        return out

    def lineage(self) -> tuple["Category", ...]:
        return self._lineage

    @cached_property
    def _lineage(self) -> tuple["Category", ...]:
        return (self,) + (self.parent.lineage() if self.parent is not None else ())

    @cached_property
    def inherited_bare_operator(self) -> str | None:
        """The operator a bare target means here: this category's or its nearest ancestor's setting."""
        return next((node.bare_operator for node in self.lineage() if node.bare_operator), None)

    @cached_property
    def label_path(self) -> list[str]:
        return [c.label for c in reversed(self.lineage())]


def _index(categories: list[Category]) -> dict[str, Category]:
    index: dict[str, Category] = {}
    for cat in categories:
        for name in cat.names():
            index.setdefault(name, cat)
    return index


@dataclass
class Ruleset:
    id: str
    version: str
    title: str
    description: str
    basis: list[str]
    priority: int
    applies_to: dict[str, Any]
    template: dict[str, str] | None
    rounding: Rounding
    grades: list[Grade]
    bare_operator: str
    points_mismatch: str
    tolerance: Decimal
    fractions: str                 # refuse | as_rate: a bare 0.98 against a percent target
    caps: list[dict[str, Any]]     # total capped by execution-rate bands (一体化平台), tightest first
    flat_category: str | None      # where rows with no 一级/二级 labels go (a flat indicator table)
    direction_words: dict[str, tuple[str, ...]]   # higher / lower: name words that give a bare target's direction
    rate_names: tuple[str, ...]    # name endings that make an indicator a rate (…率, 满意度)
    by_operator: dict[str, MethodRef]
    categories: list[Category]
    # The consistency checks as written, with their paths; compiled (by `checks`) when first run. A ruleset
    # is compiled whole, checks included, until this engine has once compiled its content without a problem
    # (the verdict is kept in the disk cache): a ruleset whose checks are broken is never used.
    check_specs: list[tuple[Mapping[str, Any], Path]]
    file: str
    sha256: str
    doc: Document = field(repr=False)
    parent: str | None = None
    # (category key, operator) → method: filled by the scorer, valid for this compiled ruleset only.
    method_memo: dict[tuple[str, str], MethodRef | None] = field(default_factory=dict, repr=False)
    # The unit's 一级/二级… labels → (category, labels with a printed weight): filled by the scorer likewise.
    placement_memo: dict[tuple[str, ...], tuple[Any, tuple[Any, ...]]] = field(default_factory=dict, repr=False)
    # (labels, name, direction, kind of target) → (category key, operator, method, rate): the numbers-only
    # plan's, made from the two memos above (engine/plan.py).
    row_memo: dict[tuple[Any, ...], tuple[str, str, Any, bool]] = field(default_factory=dict, repr=False)

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"

    def walk(self) -> list[Category]:
        return self._all

    def is_rate(self, name: str) -> bool:
        """Whether an indicator is a rate by its name (its values may be written as 0.95 or as 95%)."""
        known = self._rate_memo.get(name)
        if known is None:
            text = normalise(name)
            known = self._rate_memo[name] = any(word in text for word in self.rate_names)
        return known

    @cached_property
    def _rate_memo(self) -> dict[str, bool]:   # the same indicator names recur in every submission
        return {}

    def direction_of(self, name: str) -> str | None:
        """higher / lower when an indicator's name says it (越大越好 words), else None."""
        memo = self._direction_memo
        if name not in memo:
            key = label_key(name)
            memo[name] = next((d for d in ("lower", "higher") if any(w in key for w in self.direction_words.get(d, ()))),
                              None)
        return memo[name]

    @cached_property
    def _direction_memo(self) -> dict[str, str | None]:
        return {}

    @cached_property
    def _all(self) -> list[Category]:
        return [c for root in self.categories for c in root.walk()]

    @cached_property
    def sum_steps(self) -> tuple[tuple[str, tuple[str, ...], Decimal | None, bool, bool], ...]:
        """How category scores roll up (for the numbers-only plan, and the scorer's absent categories): every
        category after its children, as (key, its children's keys, its points, whether it has a rule for
        when it is absent, whether a mismatch of its contents' points is rescaled)."""
        return tuple((c.key, tuple(ch.key for ch in c.children), c.points, bool(c.when_absent),
                      (c.points_mismatch or self.points_mismatch) == "rescale") for c in reversed(self._all))

    @cached_property
    def claims_rows(self) -> bool:
        """Whether a unit's row can stand for one of the ruleset's fixed indicators (source: indicator)."""
        return any(ind.source == "indicator" for cat in self.walk() for ind in cat.indicators)

    @cached_property
    def with_indicators(self) -> list[Category]:
        """The categories that have fixed indicators (共性指标), in walk order."""
        return [c for c in self.walk() if c.indicators]

    @cached_property
    def root_index(self) -> dict[str, Category]:
        return _index(self.categories)

    @cached_property
    def label_index(self) -> dict[str, list[Category]]:
        """Every name (label, alias, key) of every category, for rows that give no 一级 label."""
        index: dict[str, list[Category]] = {}
        for cat in self.walk():
            for name in cat.names():
                index.setdefault(name, []).append(cat)
        return index

    @cached_property
    def fixed_index(self) -> dict[str, tuple[Category, FixedIndicator]]:
        return {name: (cat, ind) for cat in self.walk() for ind in cat.indicators for name in ind.names()}

    def method_refs(self) -> Iterable[MethodRef]:
        """Every method the ruleset can use: by operator, per category, per fixed indicator."""
        yield from self.by_operator.values()
        for cat in self.walk():
            if cat.method:
                yield cat.method
            yield from cat.by_operator.values()
            yield from (ind.method for ind in cat.indicators if ind.method)

    def category(self, key: str) -> Category | None:
        return self.categories_by_key.get(key)

    @cached_property
    def categories_by_key(self) -> dict[str, Category]:
        return {c.key: c for c in self.walk()}

    def category_named(self, label: str) -> Category | None:
        hits = self.label_index.get(label_key(label))
        return hits[0] if hits else None

    def grade_of(self, total: Decimal) -> str:
        for grade in sorted(self.grades, key=lambda g: g.min, reverse=True):
            if total >= grade.min:
                return grade.label
        return self.grades[-1].label

    def grade_named(self, text: str) -> Grade | None:
        return next((g for g in self.grades if g.matches(text)), None)

    def applies(self, kind: str, year: int, region: str | None) -> bool:
        return _applies(self.applies_to, kind, year, region)

    @cached_property
    def checks(self) -> list["CompiledCheck"]:
        return compile_checks(self.check_specs, [c.key for c in self.walk()], self.doc)


# ------------------------------------------------------------------------------------------ loading

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
    try:
        entry = find(parent_ref, dirs)
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


def compile_document(doc: Document) -> Ruleset:
    _check_version(doc)
    parent = doc.data.pop("_parent", None)
    problems = validate(doc, "ruleset-v1", code="E-RULESET")
    if problems:
        raise PerfrulesError(problems)
    ruleset = _Compiler(doc).ruleset()
    ruleset.parent = parent
    return ruleset


def compile_checks(specs: list[tuple[Mapping[str, Any], Path]], keys: list[str], doc: Document) -> list["CompiledCheck"]:
    """A ruleset's checks, compiled; the problems of all of them at once."""
    compiler = _Compiler(doc)
    compiled = [c for c in (compiler._check(raw, path, keys) for raw, path in specs) if c is not None]
    if compiler.problems:
        raise PerfrulesError(compiler.problems)
    return compiled


def _verdict_key(sha: str) -> str:
    """A ruleset's content and the code that compiles checks: a changed engine decides again."""
    engine = FsPath(__file__).resolve().parent
    stamps = []
    for name in ("checks.py", "expressions.py", "methods.py", "ruleset.py", "lint.py"):
        try:
            stamps.append(str((engine / name).stat().st_mtime_ns))
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


def _applies(a: dict[str, Any], kind: str, year: int, region: str | None) -> bool:
    if a.get("kinds") is not None and kind not in a["kinds"]:
        return False
    years = a.get("years") or {}
    if isinstance(years.get("from"), int) and year < years["from"]:
        return False
    if isinstance(years.get("to"), int) and year > years["to"]:
        return False
    regions = a.get("regions") or []
    return not regions or any((region or "").startswith(str(r)) for r in regions)
