"""Property tests: no generated or mutated input makes the engine fail with anything but a clear error."""

import os
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perfrules.engine.api import check
from perfrules.engine.errors import PerfrulesError
from perfrules.engine.ruleset import get_ruleset, search_path
from perfrules.engine.submission import build
from perfrules.engine.targets import ValueError_, parse_value
from perfrules.engine.yamlio import load_bytes

from .conftest import SEED

RULESETS = [get_ruleset(r, search_path()) for r in ("cn/unit-overall", "cn/project", "cn/budget10-free90")]
LABELS = [("产出指标", "数量指标"), ("产出指标", "质量指标"), ("产出指标", "时效指标"), ("产出指标", "成本指标"),
          ("效益指标", "社会效益指标"), ("效益指标", "经济效益指标"), ("满意度指标", "服务对象满意度指标"),
          (None, "数量指标"), ("效益", "社会效益")]
CELLS = st.one_of(
    st.none(),
    st.sampled_from(["≥23 份", "≥90%", "100%", "＝0", "﹦72890 元", "≤30 万元", "≦100%", "有所提升", "提升", "高", "好",
                     "较好", "一般", "完成", "0", "-5", "1e3", "0.0001", "99999999999", "2024 年底完成率 100%",
                     "不低于95%", "大于等于 10 次", "90%以上", "5 人", "12000 元"]),
    st.decimals(min_value=-1000, max_value=10**9, allow_nan=False, allow_infinity=False, places=3).map(str),
    st.text(max_size=12),
)
POINTS = st.one_of(st.none(), st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False))


def yaml_scalar(value):
    if value is None:
        return "null"
    if isinstance(value, Decimal):
        return format(value, "f")
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


@st.composite
def submissions(draw):
    rows = []
    for _ in range(draw(st.integers(0, 12))):
        level1, level2 = draw(st.sampled_from(LABELS))
        cells = {"level1": level1, "level2": level2, "name": draw(st.text(min_size=1, max_size=8)),
                 "target": draw(CELLS), "actual": draw(CELLS), "points": draw(POINTS), "self_score": draw(POINTS)}
        rows.append("  - {" + ", ".join(f"{k}: {yaml_scalar(v)}" for k, v in cells.items() if v is not None or k == "name") + "}")
    budget, spent = draw(POINTS), draw(POINTS)
    text = "\n".join([
        "schema_version: 1", f"kind: {draw(st.sampled_from(['project', 'unit-overall']))}",
        f"year: {draw(st.integers(2019, 2030))}", "unit: 测试单位",
        f"budget: {{total: {{budget: {{total: {yaml_scalar(budget)}}}, spent: {{total: {yaml_scalar(spent)}}}}}}}",
        f"stated: {{table: {{total: {yaml_scalar(draw(POINTS))}, grade: {yaml_scalar(draw(st.sampled_from(['优', '良', '甲'])))}}}}}",
        f"report_date: {yaml_scalar(draw(st.sampled_from(['2025-03-10', '2025年3月10日', '2024-02-30', 'soon', None])))}",
        "indicators:" + ("" if rows else " []"), *rows,
    ])
    return text.encode("utf-8")


def run_everything(raw: bytes) -> None:
    try:
        sub = build(load_bytes(raw, "generated.yaml"))
        for rs in RULESETS:
            card = check(sub, rs)
            assert card.total >= 0
            assert all(isinstance(i.score, (Decimal, type(None))) for i in card.indicators)
    except PerfrulesError as exc:
        assert exc.first.message


@settings(max_examples=int(os.environ.get("PERFRULES_FUZZ_EXAMPLES", "150")), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(submissions())
def test_generated_submissions_never_crash(raw):
    run_everything(raw)


SEED_TEXT = SEED.read_bytes()
# Values the fault-boundary issue found crashing or running without bound, plus the classic ones.
HOSTILE_VALUES = [b"null", b"-1", b".nan", b"[]", b"{}", "\"完成\"".encode(), b"1e999", b"*x", b"9" * 5000,
                  b"1.0e+999999999", b"1.0e-9999999", b'"a\\0b"', ("\"≥" + "9" * 3000 + "\"").encode(), b"0.0000000000001",
                  b'"=HYPERLINK(1)"', b'"../../etc/passwd"', b"!!binary aGVsbG8=", b'"\\x00"']


@st.composite
def mutated_seed(draw):
    lines = SEED_TEXT.split(b"\n")
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "garble", "swap_value", "truncate"]))
        if action == "delete" and len(lines) > 1:
            del lines[i]
        elif action == "duplicate":
            lines.insert(i, lines[i])
        elif action == "garble":
            junk = draw(st.binary(min_size=1, max_size=6))
            pos = draw(st.integers(0, max(0, len(lines[i]))))
            lines[i] = lines[i][:pos] + junk + lines[i][pos:]
        elif action == "swap_value" and b": " in lines[i]:
            head = lines[i].split(b": ", 1)[0]
            value = draw(st.sampled_from(HOSTILE_VALUES))
            lines[i] = head + b": " + value
        elif action == "truncate":
            lines = lines[:i] or [b""]
    return b"\n".join(lines) or b"\n"


@settings(max_examples=int(os.environ.get("PERFRULES_FUZZ_EXAMPLES", "150")), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_seed())
def test_mutated_seed_never_crashes(raw):
    run_everything(raw)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30))
def test_any_cell_text_parses_or_is_refused_clearly(text):
    try:
        value = parse_value(text)
    except ValueError_ as exc:
        assert exc.message
        return
    assert value is None or value.is_number or value.qualitative is not None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False), min_size=1, max_size=10),
       st.randoms())
def test_total_does_not_depend_on_row_order(points, rnd):
    def text(order):
        rows = "\n".join(f"  - {{level1: 产出指标, level2: 数量指标, name: r{i}, target: ≥100, actual: \"{p}\", points: 5}}"
                         for i, p in order)
        return f"schema_version: 1\nkind: project\nyear: 2024\nunit: x\nindicators:\n{rows}\n".encode()
    rows = list(enumerate(points))
    first = check(build(load_bytes(text(rows), "a.yaml")), RULESETS[1]).total
    rnd.shuffle(rows)
    assert check(build(load_bytes(text(rows), "b.yaml")), RULESETS[1]).total == first


# ------------------------------------------------------------------ rulesets and templates, through the CLI
from click.testing import CliRunner  # noqa: E402

from perfrules.cli import main  # noqa: E402

from .conftest import ROOT  # noqa: E402

RULESET_TEXT = (ROOT / "rulesets" / "cn" / "project-2020.1.yaml").read_bytes()
RULESET_VALUES = HOSTILE_VALUES + [b"0", b"{use: deduction, deduct: 1, per: 0}", b"{use: reverse_linear, zero_at: 1}",
                                   b"{use: tiers, tiers: []}", b'{use: expression, expr: "f\'{points:>99999}\'"}',
                                   b'{use: expression, expr: "Decimal(\'NaN\')"}', b"[{min: 90%, score: 5}]", b'" 2024.1 "',
                                   b"{use: tiered, bands: []}", b"{use: coefficient, coefficients: {a: 2/3}}"]


@st.composite
def mutated_ruleset(draw):
    lines = RULESET_TEXT.split(b"\n")
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "swap_value", "swap_value", "garble"]))
        if action == "delete" and len(lines) > 1:
            del lines[i]
        elif action == "swap_value" and b": " in lines[i]:
            lines[i] = lines[i].split(b": ", 1)[0] + b": " + draw(st.sampled_from(RULESET_VALUES))
        elif action == "garble":
            pos = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:pos] + draw(st.sampled_from([b"\t", "：".encode(), b"{", b"'", b"&a", b"*a"])) + lines[i][pos:]
    return b"\n".join(lines).replace(b"id: cn/project", b"id: fuzz/project")


@settings(max_examples=int(os.environ.get("PERFRULES_FUZZ_EXAMPLES", "150")) // 3, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(raw=mutated_ruleset())
def test_mutated_rulesets_are_checked_or_refused_never_crash(tmp_path_factory, raw):
    folder = tmp_path_factory.mktemp("rs")
    path = folder / "fuzz.yaml"
    path.write_bytes(raw)
    runner = CliRunner()
    checked = runner.invoke(main, ["rulesets", "check", str(path), "--format", "json"])
    assert checked.exit_code in (0, 1), checked.output
    scored = runner.invoke(main, ["score", str(SEED), "--ruleset", str(path)])
    assert scored.exit_code in (0, 1), scored.output
    import json
    codes = {p["code"] for r in json.loads(checked.output)["rulesets"] for p in r["problems"]}
    if codes - {"E-RULESET-TEMPLATE"}:   # a ruleset that fails its check is never used to score
        assert scored.exit_code == 1      # (a missing report template matters to `report` only)


TEMPLATE_PIECES = ["{{ r.unit }}", "{{ r.total_score }}", "{% for x in r.indicator_rows %}{{ x.name }}{% endfor %}",
                   "{{ 'a' * 10**9 }}", "{{ 9**99999 }}", "{% for i in range(10**7) %}{% endfor %}", "{{ r.nope }}",
                   "{{ ''.__class__ }}", "{{ 'x'|center(10**8) }}", "{{ r.unit|replace('', 'x' * 10000) }}",
                   "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", "{{ 1 / 0 }}", "{{ [1][5] }}", "{% if %}",
                   "{{ '%99999999s' % 'x' }}", "{{ r.unit ~ r.unit }}", "{{ (r.unit * 1000)|wordwrap(10**8) }}",
                   "plain text <script>", "{{ {}.x.y }}", "{{ int('9' * 5000) }}", "{{ '{:>999999999}'.format(1) }}"]


@settings(max_examples=int(os.environ.get("PERFRULES_FUZZ_EXAMPLES", "150")) // 3, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(pieces=st.lists(st.sampled_from(TEMPLATE_PIECES), min_size=1, max_size=4))
def test_generated_templates_render_or_are_refused_never_crash(tmp_path_factory, pieces):
    import perfrules.engine.render
    old = perfrules.engine.render.TEMPLATE_SECONDS
    perfrules.engine.render.TEMPLATE_SECONDS = 2.0
    try:
        root = tmp_path_factory.mktemp("tpl")
        folder = root / "fuzz" / "1"
        folder.mkdir(parents=True)
        (folder / "template.yaml").write_text("title: fuzz\n", encoding="utf-8")
        (folder / "report.md.j2").write_text("".join(pieces), encoding="utf-8")
        result = CliRunner().invoke(main, ["report", str(SEED), "-o", str(root / "r.md"), "--templates", str(root),
                                           "--template", "fuzz@1"])
    finally:
        perfrules.engine.render.TEMPLATE_SECONDS = old
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output and "内部错误" not in result.output
