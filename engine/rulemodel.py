"""The compiled ruleset: what the scorer reads (categories, fixed indicators, methods with their parameters,
rounding, grades) and what it asks of them, each answer computed once per compiled ruleset.

Made by engine/rulecompile.py from a validated document; found and loaded by engine/ruleset.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from . import methods
from .errors import Location, Path
from .targets import label_key, normalise
from .yamlio import Document

if TYPE_CHECKING:   # checks load when a ruleset's checks are first compiled (not for `score`)
    from .checks import CompiledCheck

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
    # How its checks are compiled when first run (rulecompile.compile_checks, set by the compiler that made it).
    check_compiler: Callable[..., list[Any]] | None = field(default=None, repr=False)
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
        assert self.check_compiler is not None, "a Ruleset is made by engine/rulecompile.py"
        return self.check_compiler(self.check_specs, [c.key for c in self.walk()], self.doc)


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
