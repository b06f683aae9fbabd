"""A hand-written plain-Python scorer of cn/unit-overall@2024.1, for the benchmark's baseline.

It knows only what bench/generate.py produces (all four categories present, the default tiers, the
seed's operators), and it is exact like the engine: Decimal and half-up rounding. The benchmark also
checks that both give the same total for every submission, so the comparison is like for like.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
POINTS = {"产出指标": Decimal(50), "效益指标": Decimal(30), "满意度指标": Decimal(10)}
VALUE = re.compile(r"^(≥|≤|=)?\s*(-?\d+(?:\.\d+)?)\s*(%|万元|元|人次|次|份|户|人)?$")
TIERS = [({"提升", "提高", "好", "达成", "完成"}, Decimal("0.8"), Decimal(1), True, Decimal(1)),
         ({"较好", "基本完成", "部分达成"}, Decimal("0.6"), Decimal("0.8"), False, Decimal("0.7")),
         ({"一般", "较差", "未完成"}, Decimal(0), Decimal("0.6"), False, Decimal(0))]


def parse(text: Any) -> tuple[str | None, Decimal | None, str]:
    text = unicodedata.normalize("NFKC", str(text)).strip()
    m = VALUE.match(text)
    if not m:
        return None, None, text
    return m.group(1), Decimal(m.group(2)), text


def rnd(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def indicator(row: dict[str, Any]) -> Decimal:
    points = Decimal(row["points"])
    op, target, target_text = parse(row["target"])
    _, actual, actual_text = parse(row["actual"])
    if target is None:
        own = Decimal(row["self_score"]) if row.get("self_score") is not None else None
        for words, low, high, inclusive, default in TIERS:
            if actual_text in words or actual_text == target_text.removeprefix("有所"):
                lo, hi = points * low, points * high
                if own is not None and lo <= own and (own <= hi if inclusive else own < hi):
                    return own
                return points * default
        return Decimal(0)
    assert actual is not None
    if row["level2"] == "成本指标" or op == "≤":
        if actual <= target:
            return points
        return points * max(Decimal(0), 1 - (actual - target) / target)
    if actual >= target:
        return points
    return points * max(Decimal(0), actual / target)


def score(sub: dict[str, Any]) -> Decimal:
    tasks = sub["budget"]["tasks"]
    budget = sum((Decimal(t["budget"]["total"]) for t in tasks), Decimal(0))
    spent = sum((Decimal(t["spent"]["total"]) for t in tasks), Decimal(0))
    total = rnd(Decimal(10) * min(Decimal(1), spent / budget)) if budget else Decimal(0)
    by_category: dict[str, Decimal] = {}
    for row in sub["indicators"]:
        by_category[row["level1"]] = by_category.get(row["level1"], Decimal(0)) + rnd(indicator(row))
    for label in POINTS:
        total += rnd(by_category.get(label, Decimal(0)))
    return rnd(total)
