"""Submissions (自评数据): load, validate, and expose what the scorer needs as typed data."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path as FsPath
from typing import Any

from .errors import Location, Path, PerfrulesError, error, human
from .schema import validate
from .targets import ValueError_, Value, canonical_unit, decimal_or_none, parse_value
from .yamlio import Document, load_bytes, load_file

SUPPORTED_SCHEMA_VERSIONS = (1,)
from .zipout import KIND_LABELS  # noqa: E402,F401 - how the two kinds are said to people (one place, below the readers)
DIRECTIONS = {"越大越好": "higher", "正向": "higher", "higher": "higher", "越小越好": "lower", "反向": "lower", "lower": "lower"}


@dataclass(slots=True)
class Row:
    """One indicator row as the unit wrote it."""

    index: int
    levels: list[str]
    name: str
    key: str | None
    target: Value | None
    actual: Value | None
    raw_target: Any
    raw_actual: Any
    points: Decimal | None
    self_score: Decimal | None
    explanation: str | None
    applicable: bool
    path: Path
    location: Location
    direction: str | None = None   # higher | lower, from the 指标方向 column when the table has one

    @property
    def label(self) -> str:
        return self.name or f"第 {self.index + 1} 个指标"

    @property
    def blank(self) -> bool:
        """A placeholder row: no name and nothing to score (an empty line of the printed table)."""
        return not self.name and self.target is None and self.actual is None and self.points is None \
            and self.self_score is None and not self.raw_actual


@dataclass
class Submission:
    doc: Document
    kind: str
    year: int
    unit: str
    region: str | None
    ruleset: str | None
    rows: list[Row]
    data: dict[str, Any] = field(repr=False, default_factory=dict)
    _totals: dict[tuple[str, str], Decimal | None] = field(repr=False, compare=False, default_factory=dict)

    @property
    def file(self) -> str:
        return self.doc.file

    def budget_total(self, which: str, part: str = "total") -> Decimal | None:
        """budget / budget_initial / spent, as 总额 (`part` total) or 财政拨款 / 其他资金 (fiscal / other): the
        stated 金额合计 line, else the sum of the tasks. Summed once per submission (the data is not changed
        after it is built)."""
        key = (which, part)
        if key not in self._totals:
            self._totals[key] = self._budget_total(which, part)
        return self._totals[key]

    def _budget_total(self, which: str, part: str) -> Decimal | None:
        budget = self.data.get("budget") or {}
        stated = ((budget.get("total") or {}).get(which) or {}).get(part)
        if stated is not None:
            return Decimal(stated)
        amounts = [Decimal(a) for t in budget.get("tasks") or [] if (a := (t.get(which) or {}).get(part)) is not None]
        return sum(amounts, Decimal(0)) if amounts else None

    def stated_rate(self) -> Decimal | None:
        """The execution rate the 金额合计 line states (98% or 0.98), as a fraction; None when not stated."""
        raw = ((self.data.get("budget") or {}).get("total") or {}).get("rate")
        if raw is None:
            return None
        try:
            value = parse_value(raw)
        except ValueError_:
            return None
        if value is None or value.number is None:
            return None
        return value.number / 100 if value.unit == "%" or value.number > 1 else value.number


def load_submission(path: str | FsPath, display_name: str | None = None) -> Submission:
    """A submission from any format perfrules reads (YAML, JSON, xlsx, docx): by the file's extension."""
    from .formats import load_document
    return build(load_document(path, display_name))


def load_submission_bytes(raw: bytes, name: str) -> Submission:
    return build(load_bytes(raw, name))


def build(doc: Document) -> Submission:
    data = doc.data
    if not isinstance(data, dict):
        kind = "列表" if isinstance(data, list) else "一个单独的值"
        raise error(f"自评数据应是一个映射（键: 值），实际是{kind}", doc.loc(),
                    "文件应以 schema_version: 1、kind、year、unit 等键开头；参见 examples/", code="E-SCHEMA")
    version = data.get("schema_version")
    if version is not None and version not in SUPPORTED_SCHEMA_VERSIONS:
        raise error(f"不支持的 schema_version {human(version)}", doc.loc(("schema_version",)),
                    f"本版本 perfrules 支持 {SUPPORTED_SCHEMA_VERSIONS}", code="E-SCHEMA")
    problems = validate(doc, "submission-v1")
    if problems:
        raise PerfrulesError(problems)
    rows = [_row(doc, i, raw) for i, raw in enumerate(data["indicators"])]
    return Submission(doc=doc, kind=data["kind"], year=data["year"], unit=data["unit"],
                      region=data.get("region"), ruleset=data.get("ruleset"), rows=rows, data=data)


def _row(doc: Document, i: int, raw: dict[str, Any]) -> Row:
    get = raw.get   # this runs for every row of every submission: each key is read once
    path: Path = ("indicators", i)
    levels = get("levels") or [get("level1"), get("level2")]
    name = str(get("name") or "").strip()
    unit = get("unit")
    target, actual = get("target"), get("actual")
    points, own = get("points"), get("self_score")
    return Row(
        i, [str(x) for x in levels if x], name, get("key"),
        _value(doc, target, path, "target", name, unit), _value(doc, actual, path, "actual", name, unit),
        target, actual,
        Decimal(points) if type(points) is int else decimal_or_none(points),   # 5 is read as an int: no call
        Decimal(own) if type(own) is int else decimal_or_none(own),
        get("explanation"), get("applicable", True), path, doc.loc(path), DIRECTIONS.get(get("direction") or ""),
    )


def _value(doc: Document, raw: Any, row: Path, key: str, name: str, unit: str | None) -> Value | None:
    if isinstance(raw, list):
        return None  # a checklist's items; methods read raw_actual
    try:
        value = parse_value(raw)
    except ValueError_ as exc:
        raise error(f"指标“{name}”的值无法识别：{exc.message}", doc.loc(row + (key,)), exc.hint, code="E-TARGET") from None
    if unit and value is not None and value.unit is None and value.is_number:
        canonical = canonical_unit(str(unit))
        if canonical is None:
            raise error(f"指标“{name}”的计量单位 '{unit}' 不像计量单位", doc.loc(row + ("unit",)),
                        "计量单位是文字，如 % 个 份 万元 平方公里；不含数字和比较符", code="E-TARGET")
        value = Value(text=value.text, op=value.op, number=value.number, unit=canonical, label=value.label)
    return value
