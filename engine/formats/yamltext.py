"""Submission values as YAML text: Decimals with their exact digits (never through a float), and short
values in flow style for one cell (a 目标 written as {min: 90, max: 100}). Shared by the workbook writer,
the workbook reader's 附加数据 sheet and `perfrules import`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import yaml


def plain(value: Any) -> Any:
    """Decimal → int or float-free text for yaml.safe_dump (exact digits kept)."""
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        return int(value) if isinstance(exponent, int) and exponent >= 0 else DecimalText(format(value, "f"))
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


class DecimalText(str):
    """A Decimal written to YAML as a plain number with its exact digits."""


def represent_decimal(dumper: yaml.SafeDumper, value: DecimalText) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:float", str(value))


yaml.SafeDumper.add_representer(DecimalText, represent_decimal)


def flow(value: Any) -> str:
    return yaml.safe_dump(plain(value), allow_unicode=True, default_flow_style=True, width=10_000).strip()


def cell_comments(lines: list[str], line_of: dict, cells: dict) -> dict[int, str]:
    """Line number → the cell of the value on that line, for lines that hold one whole value (a scalar that
    continues on the next line gets no comment at its end)."""
    by_line: dict[int, list[str]] = {}
    for path, cell in cells.items():
        number = line_of.get(tuple(path))
        if number is None or not path or isinstance(path[-1], int) or number > len(lines):
            continue
        line = lines[number - 1]
        key_indent = len(line) - len(line.lstrip(" -"))
        following = next((x for x in lines[number:] if x.strip()), "")
        if following and len(following) - len(following.lstrip()) > key_indent:
            continue
        by_line.setdefault(number, []).append(cell)
    return {number: cell_span(found) for number, found in by_line.items()}


def cell_span(cells: list[str]) -> str:
    """Several cells on one line (a row written as {name: …, target: …}): 表1!R8C1–C10 when they are one row
    of one table, else each, the table written once."""
    import re
    parts = [re.match(r"^(.*)!R(\d+)C(\d+)$", c) for c in dict.fromkeys(cells)]
    if len(parts) == 1 or not all(parts):
        return "、".join(dict.fromkeys(cells))
    tables = {m.group(1) for m in parts if m}
    rows = {m.group(2) for m in parts if m}
    if len(tables) == 1 and len(rows) == 1:
        cols = sorted(int(m.group(3)) for m in parts if m)
        return f"{tables.pop()}!R{rows.pop()}C{cols[0]}–C{cols[-1]}"
    if len(tables) == 1:
        return tables.pop() + "!" + "、".join(f"R{m.group(2)}C{m.group(3)}" for m in parts if m)
    return "、".join(dict.fromkeys(cells))
