"""The table model under every reader (Word, PDF): a table as rows of cell texts on its grid, merged cells
resolved (a merged cell's text in every grid position it covers, each copy knowing which cell it came from),
headers found wherever they stand and flattened across header rows, and a one-table form split into its
blocks (基本信息, 资金, 总体目标, 绩效指标, 总分, 结论, 签字).

Which header names which field is data, not code: engine/formats/headers.yaml, extended by a headers.yaml in
a ruleset folder. Readers know files and tables only: nothing here imports rulesets or scoring.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path as FsPath
from decimal import Decimal
from typing import Iterable

import perfrules.engine.formats.layout as L

VOCABULARY_FILE = FsPath(__file__).resolve().parent / "headers.yaml"
SECTIONS = ("indicators", "budget", "budget_rows", "stops", "fields")


class CellText(str):
    """A cell's text on the grid; `key` is the same for every grid position one merged cell covers, and `at`
    is where that cell starts (row, column, from 1; a sheet's own row and column for a workbook)."""

    __slots__ = ("key", "at")
    key: int
    at: tuple[int, int] | None

    def __new__(cls, text: str, key: int, at: tuple[int, int] | None = None) -> "CellText":
        obj = super().__new__(cls, text)
        obj.key = key
        obj.at = at
        return obj


Row = list[str]


@dataclass(frozen=True)
class Vocabulary:
    """Header texts by section and field, as tuples (for layout.field_of)."""

    words: dict[str, dict[str, tuple[str, ...]]]
    seen: dict[tuple[str, str], str | None] = field(default_factory=dict, compare=False, hash=False)

    def field(self, section: str, text: object) -> str | None:
        """The field a header text names in `section`; each text is matched once per process (a 300-table
        document asks about the same few hundred texts again and again)."""
        key = (section, str(text))
        if key not in self.seen:
            if len(self.seen) > 50_000:
                self.seen.clear()
            self.seen[key] = L.field_of(text, self.words.get(section, {}))
        return self.seen[key]


def vocabulary(extra_dirs: Iterable[str | FsPath] = ()) -> Vocabulary:
    """The shipped vocabulary, with the words of every headers.yaml found in `extra_dirs` added."""
    extras = tuple(str(FsPath(d) / "headers.yaml") for d in extra_dirs if (FsPath(d) / "headers.yaml").is_file())
    return _vocabulary(extras)


@lru_cache(maxsize=16)
def _vocabulary(extras: tuple[str, ...]) -> Vocabulary:
    from ..errors import error
    from ..yamlio import load_file
    merged: dict[str, dict[str, list[str]]] = {}
    for path in (str(VOCABULARY_FILE), *extras):
        data = load_file(path).data
        if not isinstance(data, dict):
            raise error("表头词表应是映射（节 → 字段 → 表头文字列表）", None, code="E-SCHEMA")
        for section, fields in data.items():
            if section not in SECTIONS or not isinstance(fields, dict):
                raise error(f"表头词表的节 '{section}' 未知", None, f"可用的节：{', '.join(SECTIONS)}", code="E-SCHEMA")
            for name, words in fields.items():
                if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
                    raise error(f"表头词表 {section}.{name} 应是文字列表", None, code="E-SCHEMA")
                merged.setdefault(section, {}).setdefault(str(name), []).extend(words)
    return Vocabulary({s: {f: tuple(dict.fromkeys(w)) for f, w in fields.items()} for s, fields in merged.items()})


@dataclass
class Header:
    """An indicator or budget header found in a table: the row it ends on and the column of each field."""

    row: int
    columns: dict[str, int] = field(default_factory=dict)
    labels: dict[int, str] = field(default_factory=dict)   # column → flattened label (项目资金（万元）/全年预算数)


def find_header(grid: list[Row], i: int, section: str, vocab: Vocabulary, required: tuple[str, ...],
                any_of: tuple[str, ...] = ()) -> Header | None:
    """Row `i` as a header when it holds every `required` field (and one of `any_of`), with the row above it
    flattened in where that is a group row (绩效指标 over 年度指标值 | 实际完成值), else None."""
    if 0 <= i < len(grid):
        row = grid[i]
        fields = [vocab.field(section, text) for text in row]
        if not all(f in fields for f in required) or (any_of and not any(f in fields for f in any_of)):
            return None
        header = Header(i)
        above = grid[i - 1] if i > 0 else None
        if above is not None and not {getattr(c, "key", None) for c in above} & {getattr(c, "key", None) for c in row} - {None}:
            above = None   # a group row shares a merged cell with the header (一级指标 over two rows); a data row does not
        for c, (text, name) in enumerate(zip(row, fields)):
            group = above[c] if above is not None and c < len(above) else ""
            label = f"{group}/{text}" if group and group != text and vocab.field(section, group) is None else str(text)
            header.labels[c] = label
            if name is not None and name not in header.columns:
                header.columns[name] = c
        return header
    return None


def row_label(row: Row) -> str:
    """The first non-empty cell of a row, folded (what a row is called)."""
    return next((L.header_key(c) for c in row if str(c).strip()), "")


def stop_of(row: Row, vocab: Vocabulary) -> str | None:
    """What a row under the indicators is, when it is not an indicator (总分, 评价结论, 签字 …)."""
    label = row_label(row)
    if not label:
        return None
    for kind, words in vocab.words.get("stops", {}).items():
        for word in words:
            key = L.header_key(word)
            if label == key or (kind == "signature" and label.startswith(key)):
                return kind
    return None


def cell_right_of(row: Row, col: int) -> str | None:
    """The first cell with text to the right of `col` that is a different cell (not the label's own merged
    copy), as it stands on the grid (a CellText knows where), or None."""
    label = row[col]
    key = getattr(label, "key", None)
    for text in row[col + 1:]:
        if str(text).strip() and (key is None or getattr(text, "key", None) != key) and text != label:
            return text
    return None


def value_right_of(row: Row, col: int) -> str:
    """The text of `cell_right_of`, stripped, or ''."""
    cell = cell_right_of(row, col)
    return str(cell).strip() if cell is not None else ""


_PLACEHOLDER = re.compile(r"^(?:指标\s*\d*|[.。…·]+|…+|\.{2,}|—+|-+|/)$")


def is_placeholder(name: str) -> bool:
    """A template's placeholder row (指标1, 指标2, ……) left as printed."""
    return bool(_PLACEHOLDER.match(L.header_key(name) or "")) if name else False


BLANKS = ("—", "-", "－", "/", "／", "——", "无")   # a cell that says "nothing here"


def cell_number(text: str) -> int | Decimal | None:
    if text.strip() in BLANKS:
        return None
    value = L.number_in_text(text, "分")
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() and "." not in text else value


def plain_number(value: int | Decimal) -> str:
    return format(value, "f") if isinstance(value, Decimal) else str(value)
