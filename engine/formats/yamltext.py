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
