"""Table-driven tests of every scoring method: (case id, params, points, target, actual, self score, expected)."""

from decimal import Decimal as D

import pytest
from hypothesis import given, settings, strategies as st

from perfrules.engine import methods
from perfrules.engine.methods import MethodInput, ParamError, Unscorable
from perfrules.engine.targets import parse_value


def run(name, params=None, points=10, target=None, actual=None, self_score=None, op=None, raw_actual=None, facts=None):
    method = methods.get(name)
    compiled = method.compile_params(params or {})
    inp = MethodInput(points=D(points), target=parse_value(target), actual=parse_value(actual),
                      self_score=None if self_score is None else D(self_score), op=op,
                      raw_actual=raw_actual if raw_actual is not None else actual, facts=facts or {})
    return method.func(inp, compiled)


RATIO = [
    ("met exactly", {}, 5, "≥23 份", "23", D(5)),
    ("over target, capped", {}, 5, "≥5 次", "10", D(5)),
    ("missed: proportional", {}, 10, "≥90%", "80%", D(10) * D(80) / D(90)),
    ("missed: 76 of 100", {}, 10, "100%", "76%", D("7.6")),
    ("zero target", {}, 5, "≥0", "0", D(5)),
    ("deviation deducted", {"deviation_at": D("1.3"), "deviation_deduct": D("0.2")}, 10, "≥10", "20", D(8)),
    ("deviation flagged only", {"deviation_at": D("1.3")}, 10, "≥10", "20", D(10)),
    ("money units converted", {}, 10, "≥1 万元", "5000 元", D(5)),
]


@pytest.mark.parametrize("case,params,points,target,actual,expected", RATIO, ids=[c[0] for c in RATIO])
def test_ratio(case, params, points, target, actual, expected):
    assert run("ratio", params, points, target, actual).score == expected


REVERSE = [
    ("linear: under target", "reverse_linear", {}, "≤30 万元", "25 万元", D(10)),
    ("linear: 10% over", "reverse_linear", {}, "≤100", "110", D(9)),
    ("linear: twice target is zero", "reverse_linear", {}, "≤100", "200", D(0)),
    ("linear: beyond twice floors at zero", "reverse_linear", {}, "≤100", "300", D(0)),
    ("linear: zero at three times", "reverse_linear", {"zero_at": D(3)}, "≤100", "200", D(5)),
    ("ratio: 25% over", "reverse_ratio", {}, "≤100", "125", D(8)),
    ("ratio: at target", "reverse_ratio", {}, "≤100", "100", D(10)),
    ("zero target exceeded", "reverse_linear", {}, "≤0", "1", D(0)),
]


@pytest.mark.parametrize("case,name,params,target,actual,expected", REVERSE, ids=[c[0] for c in REVERSE])
def test_reverse(case, name, params, target, actual, expected):
    assert run(name, params, 10, target, actual).score == expected


EQUALITY = [
    ("positive target met", "＝100", "100", D(10)),
    ("positive target missed", "＝100", "50", D(5)),
    ("zero target, zero actual", "＝0", "0", D(10)),
    ("zero target, negative actual", "＝0", "-1", D(10)),
    ("zero target, positive actual", "＝0", "3", D(0)),
]


@pytest.mark.parametrize("case,target,actual,expected", EQUALITY, ids=[c[0] for c in EQUALITY])
def test_equality(case, target, actual, expected):
    assert run("equality", {}, 10, target, actual).score == expected


TIERS = [
    ("synonym, own score inside band", "有所提升", "提升", 9, D(9), ()),
    ("own score at top", "达成年度指标", "达成预期指标", 10, D(10), ()),
    ("no own score: tier default", "有所提高", "提高", None, D(10), ()),
    ("partial tier default", "好", "较好", None, D(7), ()),
    ("partial tier, own score in [6, 8)", "好", "基本完成", 7.5, D("7.5"), ()),
    ("partial tier, own score 8 is outside [6, 8)", "好", "部分达成", 8, D(7), ("E-TIER-BAND",)),
    ("failed tier", "高", "一般", None, D(0), ()),
    ("failed tier, own score too high", "高", "较差", 9, D(0), ("E-TIER-BAND",)),
    ("actual equals target", "规范", "规范", None, D(10), ()),
]


@pytest.mark.parametrize("case,target,actual,own,expected,notes", TIERS, ids=[c[0] for c in TIERS])
def test_tiers(case, target, actual, own, expected, notes):
    out = run("tiers", {}, 10, target, actual, None if own is None else D(str(own)))
    assert out.score == expected
    assert tuple(n.code for n in out.notes) == notes


def test_tiers_unknown_word_is_unscorable():
    with pytest.raises(Unscorable, match="无法对应到定性档次"):
        run("tiers", {}, 10, "有所提升", "还行")


def test_tiers_custom_synonyms():
    tiers = [{"label": "好", "min": D("0.9"), "max": D(1), "max_inclusive": True, "default": D(1), "synonyms": ["优"]},
             {"label": "差", "min": D(0), "max": D("0.9"), "default": D(0)}]
    assert run("tiers", {"tiers": tiers}, 10, "好", "优").score == D(10)


EXECUTION = [
    ("full execution", {}, {"budget": D("559.03"), "spent": D("559.03")}, D(10)),
    ("76 percent scores 7.6", {}, {"budget": D(100), "spent": D(76)}, D("7.6")),
    ("over-spending capped", {}, {"budget": D(100), "spent": D(120)}, D(10)),
    ("initial budget denominator", {"denominator": "initial"},
     {"budget": D(200), "budget_initial": D(100), "spent": D(90)}, D(9)),
    ("zero below floor", {"zero_below": D("0.6")}, {"budget": D(100), "spent": D(50)}, D(0)),
]


@pytest.mark.parametrize("case,params,facts,expected", EXECUTION, ids=[c[0] for c in EXECUTION])
def test_execution_rate(case, params, facts, expected):
    assert run("execution_rate", params, 10, facts=facts).score == expected


def test_execution_rate_zero_budget_is_unscorable():
    with pytest.raises(Unscorable, match="预算数为 0"):
        run("execution_rate", {}, 10, facts={"budget": D(0), "spent": D(0)})


BANDS = [{"min": D(90), "score": D(5)},
         {"min": D(80), "max": D(90), "score": D(4)},
         {"min": D(60), "max": D(80), "max_inclusive": False, "score": D(2)},
         {"max": D(60), "score": D(0)}]
TIERED = [("95", D(5)), ("90", D(5)), ("89.99", D(4)), ("80", D(4)), ("79.9", D(2)), ("60", D(2)), ("59", D(0))]


@pytest.mark.parametrize("actual,expected", TIERED, ids=[t[0] for t in TIERED])
def test_tiered_bands_inclusive_ends(actual, expected):
    assert run("tiered", {"bands": BANDS}, 5, None, actual + "%").score == expected


def test_tiered_exclusive_lower_end():
    bands = [{"min": D(90), "min_inclusive": False, "score": D(5)}, {"max": D(90), "max_inclusive": True, "score": D(1)}]
    assert run("tiered", {"bands": bands}, 5, None, "90").score == D(1)


DEDUCTION = [
    ("each point over costs 0.5", {"deduct": D("0.5")}, "≤5%", "8%", D("3.5")),
    ("floor at zero", {"deduct": D("0.5")}, "≤5%", "50%", D(0)),
    ("whole units by default", {"deduct": D(1)}, "≤5", "7.5", D(3)),
    ("exact units", {"deduct": D(1), "count": "exact"}, "≤5", "7.5", D("2.5")),
    ("ceil units", {"deduct": D(1), "count": "ceil"}, "≤5", "7.5", D(2)),
    ("under a floor target", {"deduct": D(1)}, "≥90", "88", D(3)),
    ("no deduction when within", {"deduct": D(1)}, "≤5", "4", D(5)),
    ("explicit threshold and floor", {"deduct": D(2), "threshold": D(0), "floor": D(1), "direction": "over"}, None, "3", D(1)),
]


@pytest.mark.parametrize("case,params,target,actual,expected", DEDUCTION, ids=[c[0] for c in DEDUCTION])
def test_deduction(case, params, target, actual, expected):
    op = parse_value(target).op if target else None
    assert run("deduction", params, 5, target, actual, op=op).score == expected


ITEMS = [{"label": "制度健全", "points": D(1)}, {"label": "执行有效", "points": D(2)}, {"label": "公开透明", "points": D(2)}]


@pytest.mark.parametrize("raw,expected", [(["制度健全", "公开透明"], D(3)), ([], D(0)),
                                          (["制度健全", "执行有效", "公开透明"], D(4)), ("制度健全、执行有效", D(3))])
def test_checklist(raw, expected):
    assert run("checklist", {"items": ITEMS}, 4, None, None, raw_actual=raw).score == expected


def test_checklist_unknown_item():
    with pytest.raises(Unscorable, match="没有条目"):
        run("checklist", {"items": ITEMS}, 4, None, None, raw_actual=["不存在"])


@pytest.mark.parametrize("params,actual,expected", [({}, "0.8", D(8)), ({}, "85%", D("8.5")),
                                                    ({"coefficients": {"优": D(1), "良": D("0.8")}}, "良", D(8))])
def test_coefficient(params, actual, expected):
    assert run("coefficient", params, 10, None, actual).score == expected


@pytest.mark.parametrize("expr,target,actual,expected", [
    ("points * min(actual / target, 1)", "≥90", "45", D(5)),
    ("if_(actual >= target, points, points / 2)", "≥90", "45", D(5)),
    ("points * 0.1 + points * 0.2", "≥1", "1", D(3)),          # Decimal literals: exactly 3, no float noise
    ("points * 2", "≥1", "1", D(10)),                          # clamped to the points
])
def test_expression(expr, target, actual, expected):
    assert run("expression", {"expr": expr}, 10, target, actual).score == expected


def test_expression_missing_input_is_unscorable():
    with pytest.raises(Unscorable, match="需要 actual"):
        run("expression", {"expr": "actual"}, 10, "≥1", None)


@pytest.mark.parametrize("name,params,hint", [
    ("ratio", {"cpa": D(1)}, "cap"),
    ("tiered", {}, None),
    ("tiered", {"bands": [{"min": D(1)}]}, None),
    ("deduction", {"deduct": "half"}, None),
    ("execution_rate", {"denominator": "start"}, None),
    ("expression", {"expr": "__import__('os')"}, None),
    ("expression", {"expr": "unknown_name + 1"}, None),
])
def test_bad_parameters_are_refused_when_the_ruleset_loads(name, params, hint):
    with pytest.raises(ParamError) as info:
        methods.get(name).compile_params(params)
    if hint:
        assert hint in (info.value.hint or "")


@pytest.mark.parametrize("name", ["ratio", "reverse_linear", "reverse_ratio", "equality"])
def test_numeric_methods_refuse_text_actuals(name):
    with pytest.raises(Unscorable, match="是文字"):
        run(name, {}, 10, "≥90%", "完成")


def test_numeric_methods_refuse_mixed_units():
    with pytest.raises(Unscorable, match="单位不一致"):
        run("ratio", {}, 10, "≥5 次", "5 人")



# ------------------------------------------------------------------ numbers-only kernels (Method.numbers)
_CELLS = st.sampled_from(["≥90%", "90%", "0.95", "95", "1", "0", "-3", "≤30 万元", "300000 元", "≥23 份", "23", "0.5",
                          "≤5 天", "3 天", "100%", "≥0", "1e3", "12000 人次", "1.2 万人次", "≥98.5%", "0.985", "达成"])
_POINTS = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False)


@settings(max_examples=400, deadline=None)
@given(_POINTS, _CELLS, _CELLS, st.booleans(), st.sampled_from(["ratio", "reverse_linear", "reverse_ratio"]),
       st.sampled_from([{}, {"cap": D("1.2")}, {"deviation_at": D("1.3"), "deviation_deduct": D("0.1")},
                        {"zero_at": D(3)}]))
def test_a_kernel_gives_its_method_score_wherever_it_answers(points, target, actual, rate, name, raw_params):
    """The kernels (Method.numbers) against their methods: where a kernel answers, it gives the method's
    unrounded score to the last digit, its met and its share, and the method noted and read nothing (the
    scorer builds the explanation from the method later, and takes no finding from it)."""
    method = methods.get(name)
    p = method.compile_params({k: v for k, v in raw_params.items() if k in {q.name for q in method.params}})
    t, a = parse_value(target), parse_value(actual)
    kernel = method.numbers(points, t, a, rate, p)
    if kernel is None:
        return
    inp = MethodInput(points, t, a, None, ">=", actual, {}, "refuse", rate, 2024, [])
    full = method.func(inp, p)
    score, met, share = kernel
    assert (str(score), met, str(share)) == (str(full.score), full.met, str(full.share))
    assert not inp.readings and not full.notes


def test_the_kernels_answer_the_plain_cases():
    ratio = methods.get("ratio")
    p = ratio.compile_params({})
    assert ratio.numbers(D(10), parse_value("≥20 份"), parse_value("15"), False, p) == (D("7.50"), False, D("0.75"))
    assert ratio.numbers(D(10), parse_value("≥20 份"), parse_value("25"), False, p) == (D(10), True, D("1.25"))
    assert ratio.numbers(D(10), parse_value("≥90%"), parse_value("0.95"), False, p) is None   # a fraction to read
    assert ratio.numbers(D(10), parse_value("≤30 万元"), parse_value("300000 元"), False, p) is None   # converted


_AMOUNTS = st.one_of(st.none(), st.decimals(min_value=-10, max_value=10 ** 6, places=2, allow_nan=False,
                                             allow_infinity=False), st.sampled_from([D(0), D("0.00"), D(100)]))


@settings(max_examples=400, deadline=None)
@given(_POINTS, _AMOUNTS, _AMOUNTS, _AMOUNTS, _AMOUNTS, st.sampled_from([None, D("0.5"), D(1)]),
       st.sampled_from([{}, {"cap": D("1.2")}, {"zero_below": D("0.6")}, {"denominator": "initial"},
                        {"stated_rate": True, "fiscal_when_total_blank": True}]))
def test_the_execution_rate_kernel_gives_the_method_score(points, budget, initial, spent, fiscal, stated, raw_params):
    """execution_rate's numbers-only kernel (Method.facts_numbers) against the method, wherever it answers;
    where it does not, the method decides (the fiscal line, the stated rate, a refusal)."""
    method = methods.get("execution_rate")
    p = method.compile_params(raw_params)
    facts = {"budget": budget, "budget_initial": initial, "spent": spent, "budget_fiscal": fiscal,
             "budget_initial_fiscal": fiscal, "spent_fiscal": spent, "stated_rate": stated}
    kernel = method.facts_numbers(points, facts, p)
    if kernel is None:
        return
    full = method.func(MethodInput(points, parse_value("100%"), None, None, ">=", None, facts, "refuse", True, 2024, []), p)
    score, met, share = kernel
    assert (str(score), met, share) == (str(full.score), full.met, full.share) and not full.notes


def test_the_execution_rate_kernel_answers_the_plain_case():
    p = methods.get("execution_rate").compile_params({"zero_below": D("0.6")})
    kernel = methods.get("execution_rate").facts_numbers
    assert kernel(D(10), {"budget": D(200), "spent": D(190)}, p) == (D("9.50"), False, None)
    assert kernel(D(10), {"budget": D(200), "spent": D(200)}, p) == (D(10), True, None)
    assert kernel(D(10), {"budget": D(200), "spent": D(100)}, p) == (0, False, None)       # below the floor
    assert kernel(D(10), {"budget": D(0), "spent": D(100)}, p) is None     # the method refuses or reads 财政拨款
    assert kernel(D(10), {"budget": D(200), "spent": None}, p) is None     # the stated rate, or a refusal
