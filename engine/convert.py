"""`perfrules init` and `perfrules convert`: a blank 自评表, and a submission from one format to another."""

from __future__ import annotations

import json
from pathlib import Path as FsPath
from typing import Any, Iterable

import yaml

from .dates import today
from .errors import Location, error
from .ruleset import Ruleset, choose, get_ruleset, search_path
from .formats import WORKBOOK_SUFFIXES, load_document
from .formats.xlsx_form import write_workbook
from .formats.yamltext import plain as _plain

OUTPUT_SUFFIXES = (".yaml", ".yml", ".json", ".xlsx")


def categories_of(rs: Ruleset) -> list[tuple[str, list[str]]]:
    """The ruleset's (一级 label, [二级 labels]) that units fill rows into (the budget line is its own sheet)."""
    out = []
    for cat in rs.categories:
        if cat.indicators and not cat.children and not cat.accepts_own:
            continue   # fixed indicators only (预算执行率): filled from the budget sheet
        out.append((cat.label, [c.label for c in cat.children]))
    return out


def blank_form(ref: str | None, kind: str | None, year: int | None, dirs: Iterable[str | FsPath] = ()) -> bytes:
    path = search_path(dirs)
    year = year or today().year - 1
    if ref:
        rs = get_ruleset(ref, path)
        kinds = rs.applies_to.get("kinds") or ["unit-overall"]
        kind = kind or kinds[0]
    else:
        kind = kind or "unit-overall"
        rs = choose(kind, year, None, path)
    data: dict[str, Any] = {"kind": kind, "year": year, "ruleset": rs.ref, "money_unit": "万元"}
    return write_workbook(data, categories=categories_of(rs), ruleset_ref=rs.ref)


def convert(source: FsPath, target: FsPath, dirs: Iterable[str | FsPath] = (), force: bool = False) -> None:
    """Read any submission format, check it is a valid submission, write it in the format of `target`."""
    from .files import atomic_write
    from .submission import build
    suffix = target.suffix.lower()
    if suffix not in OUTPUT_SUFFIXES:
        raise error(f"无法转换为 '{target.suffix or '（无扩展名）'}'", Location(str(target)),
                    "输出文件请用 .yaml、.json 或 .xlsx 结尾", code="E-USAGE")
    from .files import check_output
    check_output(target, [source], force)   # before the work
    doc = load_document(source)
    sub = build(doc)   # only a valid submission is converted: what is written reads back the same
    data = doc.data
    payload: bytes | str
    if suffix in WORKBOOK_SUFFIXES:
        categories: list[tuple[str, list[str]]] = []
        try:
            from .api import ruleset_for
            categories = categories_of(ruleset_for(sub, None, dirs))
        except Exception:  # noqa: BLE001 - drop-down lists are a convenience; a form without them is still right
            categories = []
        payload = write_workbook(data, categories=categories, ruleset_ref=data.get("ruleset"))
    elif suffix == ".json":
        from .scorecard import dumps
        payload = dumps(data) + "\n"
    else:
        payload = dump_yaml(data, source.name)
    atomic_write(target, payload, [source], force)


def dump_yaml(data: dict[str, Any], source_name: str | None = None) -> str:
    head = f"# 自评数据：由 perfrules 从 {source_name} 转换而来。\n" if source_name else ""
    return head + yaml.safe_dump(_plain(data), allow_unicode=True, sort_keys=False, width=120)


__all__ = ["blank_form", "convert", "dump_yaml", "categories_of", "json"]
