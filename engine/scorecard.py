"""The Scorecard: plain data, the result of scoring. Its JSON form is the `--format json` output."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

from .errors import Location

SEVERITIES = ("error", "warning", "info")
SEVERITY_LABELS = {"error": "错误", "warning": "警告", "info": "提示"}


class Finding:
    """One thing a reviewer should see: severity, a stable code, a Chinese message, where, and about what.

    The message may be given as a function that builds it: the scorer defers the sentences of its
    findings (they name figures and repeat the score's explanation), so a batch that only counts findings
    never formats them. `message` is always the text; two findings are equal when all five parts are."""

    __slots__ = ("severity", "code", "_message", "location", "subject")

    def __init__(self, severity: str, code: str, message: "str | Callable[[], str]",
                 location: Location | None = None, subject: str | None = None) -> None:
        self.severity = severity          # error | warning | info
        self.code = code                  # stable, e.g. W-SELF-SCORE
        self._message = message           # Chinese, names the figures involved
        self.location = location if location is not None else Location()
        self.subject = subject            # the indicator or category it is about

    @property
    def message(self) -> str:
        if not isinstance(self._message, str):
            self._message = self._message()
        return self._message

    def __reduce__(self) -> tuple[Any, ...]:   # pickled with its message as text (a deferred one is built)
        return (Finding, (self.severity, self.code, self.message, self.location, self.subject))

    def _key(self) -> tuple[Any, ...]:
        return (self.severity, self.code, self.message, self.location, self.subject)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Finding) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (f"Finding(severity={self.severity!r}, code={self.code!r}, message={self.message!r}, "
                f"location={self.location!r}, subject={self.subject!r})")

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.location.file or "", self.location.line or 0, _RANK[self.severity], self.code)

    def to_json(self) -> dict[str, Any]:
        return {"severity": self.severity, "code": self.code, "message": self.message,
                "subject": self.subject, "location": self.location.to_json()}


_RANK = {s: i for i, s in enumerate(SEVERITIES)}


@dataclass(slots=True)
class IndicatorResult:
    name: str
    category: str               # the leaf category's label
    category_path: list[str]
    points: Decimal | None
    score: Decimal | None        # the rule's score, rounded; None when it could not be scored
    self_score: Decimal | None
    method: str | None
    # The explanation and the method's inputs, as text: built from their parts the first time they are
    # read (a batch that writes totals only never formats them). Read them as `explanation` and `inputs`.
    explanation_: "str | Callable[[], str]"
    target: str | None
    actual: str | None
    inputs_: "dict[str, str] | Callable[[], dict[str, str]]"
    status: str                 # scored | unscorable | not-applicable
    source: str                 # unit | ruleset
    location: Location
    met: bool | None = None
    share: Decimal | None = None   # actual / target where the method computed it

    @property
    def explanation(self) -> str:
        if not isinstance(self.explanation_, str):
            self.explanation_ = self.explanation_()
        return self.explanation_

    @property
    def inputs(self) -> dict[str, str]:
        if not isinstance(self.inputs_, dict):
            self.inputs_ = self.inputs_()
        return self.inputs_

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "category": self.category, "category_path": self.category_path,
            "points": self.points, "score": self.score, "self_score": self.self_score, "method": self.method,
            "explanation": self.explanation, "target": self.target, "actual": self.actual,
            "inputs": self.inputs, "status": self.status, "source": self.source, "met": self.met,
            "location": self.location.to_json(),
        }


@dataclass(slots=True)
class CategoryResult:
    key: str
    label: str
    points: Decimal             # the effective points (after moves and drops)
    declared: Decimal | None    # as the ruleset declares it
    content_points: Decimal     # what its indicators and sub-categories add up to
    score: Decimal
    self_score: Decimal | None
    status: str                 # scored | absent | moved | dropped
    note: str
    children: list["CategoryResult"]
    indicators: list[IndicatorResult]
    depth: int
    pending_na: Decimal = Decimal(0)   # not-applicable points not yet taken off a category with points
    dropped: Decimal = Decimal(0)      # points of a category that is absent and dropped (moved-in points included)

    def walk(self) -> list["CategoryResult"]:
        out = [self]
        for child in self.children:
            out += child.walk()
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key, "label": self.label, "points": self.points, "declared_points": self.declared,
            "content_points": self.content_points, "score": self.score, "self_score": self.self_score,
            "status": self.status, "note": self.note, "depth": self.depth,
            "children": [c.key for c in self.children],
        }


@dataclass
class Stated:
    """Totals the submission states for itself, beside the rule's."""

    label: str
    total: Decimal | None
    max: Decimal | None = None
    grade: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "total": self.total, "max": self.max, "grade": self.grade}


@dataclass
class Scorecard:
    ruleset_id: str
    ruleset_version: str
    ruleset_title: str
    unit: str
    year: int
    kind: str
    file: str
    total: Decimal
    max_total: Decimal
    grade: str
    categories: list[CategoryResult]
    indicators: list[IndicatorResult]
    stated: list[Stated]
    findings: list[Finding]
    provenance: dict[str, Any]

    def all_categories(self) -> list[CategoryResult]:
        return [c for root in self.categories for c in root.walk()]

    def counts(self) -> dict[str, int]:
        return {s: sum(1 for f in self.findings if f.severity == s) for s in SEVERITIES}

    def to_json(self) -> dict[str, Any]:
        return {
            "ruleset": {"id": self.ruleset_id, "version": self.ruleset_version, "title": self.ruleset_title},
            "unit": self.unit, "year": self.year, "kind": self.kind, "file": self.file,
            "total": self.total, "max_total": self.max_total, "grade": self.grade,
            "categories": [c.to_json() for c in self.all_categories()],
            "indicators": [i.to_json() for i in self.indicators],
            "stated": [s.to_json() for s in self.stated],
            "findings": [f.to_json() for f in self.findings],
            "counts": self.counts(),
            "provenance": self.provenance,
        }


def dumps(value: Any, indent: int | None = 2) -> str:
    """JSON with Decimals written as exact numbers (no float round trip, no float noise); compact (one line,
    no spaces) with indent=None."""
    return _compact(value) if indent is None else _dump(value, indent, 0)


def _compact(value: Any) -> str:
    if isinstance(value, str):   # the commonest leaf first (a unit's name, a finding's sentence)
        return _text(value)
    if isinstance(value, Decimal):
        return _decimal(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{_text(str(k))}:{_compact(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_compact(v) for v in value) + "]"
    if hasattr(value, "to_json"):
        return _compact(value.to_json())
    return _scalar(value)


def _dump(value: Any, indent: int, level: int) -> str:
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, Decimal):
        return _decimal(value)
    if isinstance(value, (dict, list)) and value:
        pad, inner = " " * (indent * level), " " * (indent * (level + 1))
        if isinstance(value, dict):
            items = [f"{inner}{_text(str(k))}: {_dump(v, indent, level + 1)}" for k, v in value.items()]
            return "{\n" + ",\n".join(items) + f"\n{pad}}}"
        return "[\n" + ",\n".join(f"{inner}{_dump(v, indent, level + 1)}" for v in value) + f"\n{pad}]"
    if hasattr(value, "to_json"):
        return _dump(value.to_json(), indent, level)
    return _scalar(value)


# json.dumps(text, ensure_ascii=False) is this function behind the encoder's machinery, a few µs a call; a
# county's summary has millions of texts. tests/test_province_outputs.py holds dumps to json.dumps.
_text = json.encoder.encode_basestring
_LITERALS = {None: "null", True: "true", False: "false"}


def _scalar(value: Any) -> str:
    if value is None or value is True or value is False:
        return _LITERALS[value]
    if type(value) is int:
        return int.__repr__(value)
    return json.dumps(value, ensure_ascii=False)


def _decimal(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError(f"non-finite decimal {value}")
    text = format(value, "f")
    return text
