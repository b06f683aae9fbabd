"""The ruleset as a workbook (issue 24): every shipped ruleset and generated ones go YAML → xlsx → YAML and
keep the resolved ruleset; a bureau's mistakes are named at their cell with a did-you-mean; a new standard
starts from its parent and its YAML states only what it changes."""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings, strategies as st
from openpyxl import load_workbook

from perfrules.cli import main
from perfrules.engine.rulebook.read import read_rulebook
from perfrules.engine.rulebook.write import write_rulebook
from perfrules.engine.ruleset import index, resolve_document, search_path
from perfrules.engine.yamlio import load_file


def canonical(value):
    """What the scorer reads is the same: {use: m} is m, a category {label: x} is x."""
    if isinstance(value, dict):
        value = {k: canonical(v) for k, v in value.items() if k != "_parent"}
        if set(value) == {"use"}:
            return value["use"]
        if set(value) == {"label"}:
            return value["label"]
        return value
    if isinstance(value, list):
        return [canonical(v) for v in value]
    return value


def resolved(path: Path, dirs) -> dict:
    data = copy.deepcopy(resolve_document(path, dirs).data)
    data.pop("_parent", None)
    return canonical({k: v for k, v in data.items() if k not in ("extends",)})


SHIPPED = sorted((e.id, e.version, e.path) for e in index(search_path([])))


@pytest.mark.parametrize("rid,version,path", SHIPPED, ids=[f"{i}@{v}" for i, v, _ in SHIPPED])
def test_every_shipped_ruleset_round_trips_through_the_workbook(tmp_path, rid, version, path):
    runner = CliRunner()
    book, out = tmp_path / "评分标准.xlsx", tmp_path / "back.yaml"
    assert runner.invoke(main, ["rulesets", "export", f"{rid}@{version}", "-o", str(book)]).exit_code == 0
    run = runner.invoke(main, ["rulesets", "import", str(book), "-o", str(out)])
    assert run.exit_code == 0, run.output
    dirs = search_path([])
    assert resolved(out, dirs) == resolved(path, dirs)
    written = load_file(out).data
    assert written.get("extends") == load_file(path).data.get("extends")   # extends survives
    tests = out.with_name("back.test.yaml")
    if path.with_name(path.name[:-5] + ".test.yaml").is_file():   # the cases come back and still pass
        assert tests.is_file()
        check = runner.invoke(main, ["test", str(out)])
        assert check.exit_code == 0, check.output


KEY = st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)
LABEL = st.text("产出效益满意度数量质量时效成本经济社会生态指标", min_size=2, max_size=8)
POINTS = st.one_of(st.integers(0, 100), st.decimals("0.5", "60", places=1))
METHOD = st.one_of(
    st.none(), st.sampled_from(["ratio", "equality", "reverse_ratio"]),
    st.fixed_dictionaries({"use": st.just("ratio"), "cap": st.sampled_from([Decimal("1"), Decimal("1.2")]),
                           "deviation_at": st.sampled_from([Decimal("1.3"), Decimal("1.5")])}),
    st.fixed_dictionaries({"use": st.just("deduction"), "deduct": st.decimals("0.1", "5", places=1),
                           "direction": st.sampled_from(["over", "under"]), "count": st.sampled_from(["exact", "floor"])}),
    st.fixed_dictionaries({"use": st.just("reverse_linear"), "zero_at": st.sampled_from([Decimal(2), Decimal("2.5")])}),
)


@st.composite
def rulesets(draw):
    keys = draw(st.lists(KEY, min_size=1, max_size=4, unique=True))
    categories = []
    for key in keys:
        cat = {"key": key, "label": draw(LABEL), "points": draw(POINTS)}
        if draw(st.booleans()):
            cat["aliases"] = draw(st.lists(LABEL, min_size=1, max_size=3, unique=True))
        method = draw(METHOD)
        if method is not None:
            cat["method"] = method
        children = draw(st.lists(LABEL, max_size=3, unique=True))
        if children:
            cat["children"] = [c if draw(st.booleans()) else {"key": f"{key}_{i}", "label": c, "points": draw(POINTS)}
                               for i, c in enumerate(children)]
        if draw(st.booleans()):
            cat["when_absent"] = {"pro_rata": [k for k in keys if k != key][:1] or [key]}
        categories.append(cat)
    data = {"schema_version": 1, "id": "gen/" + draw(KEY), "version": draw(st.sampled_from(["2026.1", "1", "2025.10"])),
            "title": draw(LABEL), "categories": categories,
            "grades": [{"label": "优", "min": 90}, {"label": "差", "min": 0, "aliases": draw(st.lists(LABEL, max_size=2))}],
            "rounding": {"decimals": draw(st.integers(0, 4)), "mode": draw(st.sampled_from(["half-up", "down"]))}}
    if draw(st.booleans()):
        data["checks"] = [{"kind": "execution_floor", "floor": draw(st.decimals("0.5", "0.99", places=2))},
                          {"kind": "dates", "max_days": draw(st.integers(1, 90)), "severity": "warning"},
                          {"kind": "required_sections", "sections": draw(st.lists(LABEL, min_size=1, max_size=3))}]
    if draw(st.booleans()):
        data["applies_to"] = {"kinds": ["project"], "years": {"from": 2024}, "regions": ["陕西省"]}
    if draw(st.booleans()):   # a preset (its name may hold a dot) and a category scored by it
        data["presets"] = {"封顶.v1": {"use": "ratio", "cap": Decimal("1.1")}}
        categories[0]["method"] = "封顶.v1"
    return data


@settings(max_examples=int(__import__("os").environ.get("PERFRULES_EXAMPLES", "60")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=rulesets())
def test_generated_rulesets_round_trip(tmp_path, data):
    path = tmp_path / "g.xlsx"
    path.write_bytes(write_rulebook(copy.deepcopy(data)))
    back, _ = read_rulebook(path, "g.xlsx")
    assert canonical(back.data) == canonical(data)


def _book(tmp_path: Path, ref: str = "cn/unit-overall@2024.1") -> Path:
    book = tmp_path / "评分标准.xlsx"
    assert CliRunner().invoke(main, ["rulesets", "export", ref, "-o", str(book)]).exit_code == 0
    return book


def _edit(book: Path, sheet: str, changes: dict[str, object]) -> None:
    wb = load_workbook(book)
    for ref, value in changes.items():
        wb[sheet][ref].value = value
    wb.save(book)


def _row(book: Path, sheet: str, column: int, text: str) -> int:
    ws = load_workbook(book)[sheet]
    return next(r for r in range(1, ws.max_row + 1) if ws.cell(r, column).value == text)


def _import(book: Path, tmp_path: Path):
    return CliRunner().invoke(main, ["rulesets", "import", str(book), "-o", str(tmp_path / "x.yaml")])


def test_a_method_written_wrong_is_named_at_its_cell_with_a_did_you_mean(tmp_path):
    book = _book(tmp_path)
    row = _row(book, "指标体系", 3, "预算执行率") + 1   # the fixed indicator under the category
    _edit(book, "指标体系", {f"F{row}": "预算执行律"})
    run = _import(book, tmp_path)
    assert run.exit_code == 1, run.output
    assert f"评分标准.xlsx!指标体系!F{row}" in run.output and "预算执行率" in run.output and "没有名为“预算执行律”" in run.output
    assert not (tmp_path / "x.yaml").exists()


def test_a_check_kind_and_a_number_written_wrong_are_named_at_their_cells(tmp_path):
    book = _book(tmp_path)
    check_row = _row(book, "核对规则", 1, "执行率下限")
    cat_row = _row(book, "指标体系", 3, "产出指标")
    _edit(book, "核对规则", {f"A{check_row}": "执行率下线"})
    _edit(book, "指标体系", {f"E{cat_row}": "五十分"})
    run = _import(book, tmp_path)
    assert run.exit_code == 1
    assert f"核对规则!A{check_row}" in run.output and "执行率下限" in run.output
    assert f"指标体系!E{cat_row}" in run.output and "应填数字" in run.output


def test_what_rulesets_check_refuses_is_said_at_the_cell(tmp_path):
    """Two grades at one minimum: `rulesets check` refuses it; the import names the workbook's cell."""
    book = _book(tmp_path)
    _edit(book, "等级", {"B3": 90})
    run = _import(book, tmp_path)
    assert run.exit_code == 1, run.output
    assert "评分标准.xlsx!等级!B" in run.output


def test_a_formula_is_refused_never_evaluated(tmp_path):
    book = _book(tmp_path)
    row = _row(book, "指标体系", 3, "产出指标")
    _edit(book, "指标体系", {f"E{row}": "=40+10"})
    run = _import(book, tmp_path)
    assert run.exit_code == 1 and f"指标体系!E{row}" in run.output and "公式" in run.output


def test_a_county_starts_from_its_parent_and_states_only_what_it_changes(tmp_path):
    runner = CliRunner()
    book = tmp_path / "新标准.xlsx"
    run = runner.invoke(main, ["rulesets", "new", "--extends", "cn/unit-overall@2024.1", "--id", "shaanxi/test",
                               "--version", "2026.1", "-o", str(book)])
    assert run.exit_code == 0, run.output
    _edit(book, "指标体系", {f"E{_row(book, '指标体系', 3, '产出指标')}": 40,
                           f"E{_row(book, '指标体系', 3, '效益指标')}": 40})
    _edit(book, "说明", {f"B{_row(book, '说明', 1, '适用年度起')}": 2026})
    out = tmp_path / "shaanxi-test-2026.1.yaml"
    run = runner.invoke(main, ["rulesets", "import", str(book), "-o", str(out)])
    assert run.exit_code == 0, run.output
    written = load_file(out).data
    assert written["extends"] == "cn/unit-overall@2024.1"
    assert written["categories"] == [{"key": "output", "points": 40}, {"key": "effect", "points": 40}]
    assert written["applies_to"]["years"] == {"from": 2026}
    assert set(written) == {"schema_version", "id", "version", "extends", "applies_to", "categories"}
    card = runner.invoke(main, ["score", "examples/zizhou-hrss-2024.yaml", "--ruleset", str(out), "--format", "json"])
    assert '"ruleset": "shaanxi/test@2026.1"' in card.output


def test_the_workbook_writes_the_rule_in_chinese_beside_its_parameters(tmp_path):
    book = _book(tmp_path, "example/platform-caps@2025.1")
    ws = load_workbook(book)["指标体系"]
    header = [c.value for c in ws[1]]
    said = header.index("评分规则（自动生成，不读回）") + 1
    texts = [ws.cell(r, said).value for r in range(2, ws.max_row + 1)]
    assert any(t and t.startswith("预算执行率 = 全年执行数 ÷") for t in texts)
    assert ws.cell(3, 6).value == "预算执行率"   # the fixed indicator's method by its Chinese name
    assert load_workbook(book)["说明"]["B3"].value == "example/platform-caps"


def test_a_parent_is_an_id_on_the_path_never_a_file_the_standard_names(tmp_path):
    """继承 / extends names a ruleset by id@version; a path to some file on the machine is refused, so a
    workbook or YAML uploaded to the server cannot make it read a file outside the ruleset folders."""
    outside = tmp_path / "secret.yaml"
    outside.write_text("schema_version: 1\nid: x/secret\nversion: '1'\ntitle: 机密\ncategories: [a]\ngrades: [{label: 优, min: 0}]\n",
                       encoding="utf-8")
    book = _book(tmp_path)
    _edit(book, "说明", {f"B{_row(book, '说明', 1, '继承')}": str(outside)})
    run = _import(book, tmp_path)
    assert run.exit_code == 1 and "找不到" in run.output and "机密" not in run.output
    child = tmp_path / "child.yaml"
    child.write_text(f"schema_version: 1\nid: x/child\nversion: '1'\nextends: {outside}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["rulesets", "check", str(child)])
    assert result.exit_code == 1 and "找不到父规则集" in result.output
