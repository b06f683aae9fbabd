"""The numbers-only plan (engine/plan.py) against the scorer: wherever the plan answers, it answers what
score() gives, total and grade, to the last digit and exponent; and it answers for most submissions.

Differential over the example, the test data, 2,000 generated submissions under every shipped ruleset, 400
with odd number spellings, and hypothesis-generated and -mutated submissions. The scorer runs first each
time (it fills the compiled ruleset's memos the plan reads); a ruleset the scorer has not met answers None.
"""

from __future__ import annotations

import os
import random
import re

import pytest
from hypothesis import HealthCheck, given, settings

from bench.generate import generate
from perfrules.engine.errors import PerfrulesError
from perfrules.engine.plan import totals
from perfrules.engine.ruleset import get_ruleset, index, search_path
from perfrules.engine.scoring import score
from perfrules.engine.submission import build, load_submission
from perfrules.engine.yamlio import load_bytes

from .conftest import ROOT, SEED
from .test_properties import mutated_seed, submissions

SHIPPED = sorted(f"{entry.id}@{entry.version}" for entry in index(search_path()))


def same_or_none(sub, rs) -> bool | None:
    """True when the plan answers and agrees with the scorer; None when it does not answer. A scorer that
    refuses the submission must find the plan not answering either."""
    try:
        card = score(sub, rs)
    except PerfrulesError:
        assert totals(sub.doc, rs) is None
        return None
    planned = totals(sub.doc, rs)
    if planned is None:
        return None
    total, grade = planned
    assert (str(total), grade) == (str(card.total), card.grade), sub.file
    return True


def test_a_ruleset_the_scorer_has_not_met_is_not_planned(tmp_path):
    sub = load_submission(generate(1, tmp_path / "units", seed=7)[0])
    rs = get_ruleset("cn/unit-overall@2024.1", search_path())
    for memo in (rs.placement_memo, rs.method_memo, rs.row_memo):   # as if the ruleset were just compiled
        memo.clear()
    assert totals(sub.doc, rs) is None
    assert same_or_none(sub, rs) is True   # once scored, the plan answers, and agrees


@pytest.mark.slow
def test_the_plan_agrees_with_the_scorer_on_generated_submissions_under_every_ruleset(tmp_path):
    files = generate(2000, tmp_path / "units", seed=7)
    rulesets = [get_ruleset(ref, search_path()) for ref in SHIPPED]
    answered = tried = 0
    for i, path in enumerate(files):
        try:
            sub = load_submission(path)
        except PerfrulesError:
            continue
        for rs in (rulesets if i % 10 == 0 else rulesets[:1]):
            same = same_or_none(sub, rs)
            if rs is rulesets[0]:
                tried += 1
                answered += same is True
    assert answered >= 0.9 * tried, f"the plan answered for {answered} of {tried}"


def test_the_example_is_not_planned_it_has_rows_the_plan_does_not_model():
    """The seed has unscorable rows and a category whose rows do not add up to its points: scored in full."""
    sub = load_submission(SEED)
    rs = get_ruleset("cn/unit-overall@2024.1", search_path())
    assert same_or_none(sub, rs) is None


def test_the_plan_agrees_on_the_example_and_the_test_data():
    files = [SEED, *sorted((ROOT / "tests" / "data").rglob("*.yaml")), *sorted((ROOT / "examples").glob("*.yaml"))]
    for path in files:
        try:
            sub = load_submission(path)
        except PerfrulesError:
            continue
        for ref in SHIPPED:
            same_or_none(sub, get_ruleset(ref, search_path()))


def test_the_plan_agrees_with_odd_number_spellings(tmp_path):
    rng = random.Random(5)
    spellings = ("0.0", "0", "10.0", "1e1", "5.00", "0.00", "-0", "3.50", "2.5e0", "100.0", "1E+1")
    rs = get_ruleset("cn/unit-overall@2024.1", search_path())
    for path in generate(300, tmp_path / "units", seed=13):
        text = re.sub(r"((?:points|self_score|total|budget|spent): )\d+(?:\.\d+)?",
                      lambda m: m.group(1) + rng.choice(spellings) if rng.random() < 0.3 else m.group(0),
                      path.read_text(encoding="utf-8"))
        try:
            sub = build(load_bytes(text.encode("utf-8"), path.name))
        except PerfrulesError:
            continue
        same_or_none(sub, rs)


RULESETS = [get_ruleset(ref, search_path()) for ref in ("cn/unit-overall", "cn/project", "cn/budget10-free90")]


def _differential(raw: bytes) -> None:
    try:
        sub = build(load_bytes(raw, "generated.yaml"))
    except PerfrulesError:
        return
    for rs in RULESETS:
        same_or_none(sub, rs)


@settings(max_examples=int(os.environ.get("PERFRULES_FUZZ_EXAMPLES", "150")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(submissions())
def test_the_plan_agrees_on_hypothesis_generated_submissions(raw):
    _differential(raw)


@settings(max_examples=int(os.environ.get("PERFRULES_FUZZ_EXAMPLES", "150")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(mutated_seed())
def test_the_plan_agrees_on_mutated_seeds(raw):
    _differential(raw)
    _differential(raw)   # the second time the memos are filled: the plan answers where it can



def _eager_facts(sub):
    """The budget facts as the scorer once worked them all out up front (the reference for BudgetFacts)."""
    budget, spent = sub.budget_total("budget"), sub.budget_total("spent")
    facts = {"budget": budget, "budget_initial": sub.budget_total("budget_initial"), "spent": spent,
             "budget_fiscal": sub.budget_total("budget", "fiscal"),
             "budget_initial_fiscal": sub.budget_total("budget_initial", "fiscal"),
             "spent_fiscal": sub.budget_total("spent", "fiscal"), "stated_rate": sub.stated_rate()}
    if budget and spent is not None:
        facts["rate"] = spent / budget
    return facts


def test_the_budget_facts_are_worked_out_as_read_whatever_is_blank(tmp_path):
    """The budget indicator's facts are worked out when its method reads them; listed, or read one by one,
    they are the facts worked out up front: the same keys in the same order and the same values (with 财政拨款
    lines, blanks and zeros)."""
    from perfrules.engine.scoring import BudgetFacts
    blanks = [("total: {budget: {total: 0, fiscal: 5}, spent: {total: 3, fiscal: 3}}", "rate: 98%"),
              ("total: {budget: {fiscal: 5}, spent: {fiscal: 4}}", "rate: 0.9"), ("", "")]
    subs = [load_submission(path) for path in generate(60, tmp_path / "units", seed=3)[::3]]
    for total, rate in blanks:
        text = ("schema_version: 1\nkind: unit-overall\nyear: 2024\nunit: 测试\n"
                f"budget:\n  tasks: [{{name: a, budget: {{total: 4, fiscal: 4}}, spent: {{total: 2}}}}]\n"
                + (f"  {total}\n" if total else "") + (f"  {rate}\n" if rate and not total else "")
                + "indicators: []\n")
        subs.append(build(load_bytes(text.encode("utf-8"), "b.yaml")))
    for sub in subs:
        eager = _eager_facts(sub)
        assert list(BudgetFacts(sub).items()) == list(eager.items())
        lazy = BudgetFacts(sub)
        assert {key: lazy.get(key) for key in reversed(list(eager))} == eager and lazy.get("nothing") is None


def test_one_indicator_name_with_every_kind_of_target_and_direction(tmp_path):
    """The plan looks up what a row's labels, name, direction and kind of target decide (its category,
    operator, method, rate) once per ruleset. The same name under the same labels, met again with another
    kind of target (≥, bare, a quality word, a deadline) or another direction, must not take the first's."""
    [path] = generate(1, tmp_path / "units", seed=3, bad_every=0)
    text = path.read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if "name: 业务经费" in x)
    rs = get_ruleset("cn/unit-overall@2024.1", search_path())
    answered = 0
    for target, actual in (("≤872 万元", "900 万元"), ("872 万元", "900 万元"), ("≥872 万元", "900 万元"),
                           ("好", "较好"), ("2024年12月底前", "2024年11月"), ("100%", "95%")):
        for direction in ("", ", direction: 越大越好", ", direction: 越小越好"):
            row = re.sub(r'target: "[^"]*", actual: "[^"]*"', f'target: "{target}", actual: "{actual}"{direction}', line)
            assert f'"{target}"' in row and direction in row
            sub = build(load_bytes(text.replace(line, row).encode("utf-8"), path.name))
            answered += bool(same_or_none(sub, rs))
    assert answered >= 12   # the plan answered for most of them, each as the scorer scores it
