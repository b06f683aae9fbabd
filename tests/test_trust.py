"""A score a bureau can defend: nothing silently wrong.

Each reproduction of the trust issue is a test here; the general rules behind them are properties over
generated submissions and every shipped ruleset (conservation of points, and the metamorphic tests in
tests/test_metamorphic.py).
"""

from __future__ import annotations

import json
import os
from decimal import Decimal

from hypothesis import HealthCheck, given, settings

from cli import main
from engine.api import check
from engine.errors import PerfrulesError
from engine.ruleset import get_ruleset, index, search_path
from engine.submission import build
from engine.yamlio import load_bytes

from .conftest import SEED
from .test_properties import submissions

SHIPPED = [get_ruleset(f"{e.id}@{e.version}", search_path()) for e in sorted(index(search_path()), key=lambda e: e.id)]
EXAMPLES = int(os.environ.get("PERFRULES_FUZZ_EXAMPLES", "150"))

ONLY_OUTPUT = """\
schema_version: 1
kind: project
year: 2024
unit: 测试单位
budget: {total: {budget: {total: 100}, spent: {total: 100}}}
indicators:
  - {level1: 产出指标, level2: 数量指标, name: 培训人数, target: "≥100 人", actual: "100 人", points: 50, self_score: 50}
"""


# ------------------------------------------------------------------------------ 3. points never vanish
def test_points_moved_into_an_absent_category_are_not_lost(runner, write):
    path = write("only-output.yaml", ONLY_OUTPUT)
    result = runner.invoke(main, ["score", str(path), "--ruleset", "cn/project@2020.1", "--format", "json"])
    card = json.loads(result.output)
    assert card["total"] == 60 and card["max_total"] == 100
    effect = next(c for c in card["categories"] if c["key"] == "effect")
    assert effect["points"] == 40 and effect["score"] == 0
    assert not any(f["code"] == "I-RESCALED" for f in card["findings"])


def conserved(card) -> None:
    """Points scored plus points lost equal the maximum, per category and in total, whatever is absent."""
    full = sum((c.declared if c.declared is not None else c.points) for c in card.categories)
    assert card.max_total == full
    dropped = sum(c.dropped for root in card.categories for c in root.walk())
    not_applicable = sum((i.points or 0) for i in card.indicators if i.status == "not-applicable")
    effective = sum(c.points for c in card.categories)
    assert effective + dropped + not_applicable == full, (effective, dropped, not_applicable, full)
    for root in card.categories:
        for c in root.walk():
            assert Decimal(0) <= c.score <= c.points + Decimal("0.01"), (c.label, c.score, c.points)
            lost = c.points - c.score
            assert c.score + lost == c.points
    assert Decimal(0) <= card.total <= full


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(submissions())
def test_points_are_conserved_under_every_shipped_ruleset(raw):
    try:
        sub = build(load_bytes(raw, "generated.yaml"))
    except PerfrulesError:
        return
    for rs in SHIPPED:
        try:
            card = check(sub, rs)
        except PerfrulesError:
            continue
        conserved(card)


def test_the_seed_conserves_points_under_every_shipped_ruleset():
    from engine.submission import load_submission
    sub = load_submission(SEED)
    for rs in SHIPPED:
        conserved(check(sub, rs))
