"""The forms units hold: Excel in and out, Word reports in.

The unit's path (init → fill in → check → report) on a workbook a test fills from the shipped example; the
lossless round trip YAML → xlsx → YAML over generated submissions; every quirk of real workbooks; import of
Word reports, ours and ones laid out differently; and the hostile Office files.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from perfrules.cli import main
from perfrules.engine.formats import layout as L
from perfrules.engine.formats.xlsx_form import write_workbook
from perfrules.engine.submission import load_submission
from perfrules.engine.yamlio import load_file

from .conftest import SEED, soffice
from .test_metamorphic import meanings, write as write_meanings

SEED_DATA = load_file(SEED).data
EXAMPLES = int(os.environ.get("PERFRULES_FUZZ_EXAMPLES", "150"))


def canonical(value):
    """A submission's data compared as meaning: numbers by value, blank keys dropped, levels as level1/2."""
    if isinstance(value, dict):
        out = {k: canonical(v) for k, v in value.items() if v is not None and v != {} and v != []}
        if "levels" in out and isinstance(out["levels"], list):
            levels = out.pop("levels")
            out.setdefault("level1", levels[0] if levels else None)
            if len(levels) > 1:
                out.setdefault("level2", levels[1])
        return {k: v for k, v in out.items() if v is not None}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return Decimal(value).normalize()
    return value


def card(runner, path, *args):
    result = runner.invoke(main, ["score", str(path), "--format", "json", *args])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    return data


def same_scores(a, b):
    assert (a["total"], a["grade"]) == (b["total"], b["grade"])
    assert [(i["name"], i["score"], i["self_score"], i["status"]) for i in a["indicators"]] == \
        [(i["name"], i["score"], i["self_score"], i["status"]) for i in b["indicators"]]
    assert sorted((f["code"], f["message"]) for f in a["findings"]) == sorted((f["code"], f["message"]) for f in b["findings"])


# ------------------------------------------------------------------------------ the unit's path
def fill_form(form: Path, data: dict) -> None:
    """What a clerk does in Excel: type the example's figures into the blank form's yellow cells."""
    wb = load_workbook(form)
    basic = wb[L.BASIC]
    for row in range(3, basic.max_row + 1):
        label = basic.cell(row, 1).value
        path = dict((lbl, p) for p, lbl in L.BASIC_FIELDS).get(label)
        value = _get(data, path) if path else None
        if path == "kind":
            value = L.KINDS[value]
        if value is not None:
            basic.cell(row, 2).value = value
    budget = wb[L.BUDGET]
    for i, task in enumerate(data["budget"]["tasks"]):
        _budget_row(budget, 4 + i, task)
    total_row = next(r for r in range(4, budget.max_row + 1) if budget.cell(r, 1).value == L.TOTAL_ROW)
    _budget_row(budget, total_row, data["budget"]["total"], total=True)
    goals = wb[L.GOALS]
    goals["B3"], goals["B4"] = data["goals"]["expected"], data["goals"]["achieved"]
    sheet = wb[L.INDICATORS]
    for r in range(3, sheet.max_row + 1):
        for c in range(1, 3):
            sheet.cell(r, c).value = None   # the clerk overwrites the pre-filled label rows
    for i, row in enumerate(data["indicators"]):
        for c, (key, _) in enumerate(L.INDICATOR_COLUMNS, start=1):
            if row.get(key) is not None:
                sheet.cell(3 + i, c).value = row[key]
    conclusion = wb[L.CONCLUSION]
    labels = dict((lbl, p) for p, lbl in L.CONCLUSION_FIELDS)
    for r in range(3, conclusion.max_row + 1):
        value = _get(data, labels.get(conclusion.cell(r, 1).value, "-"))
        if value is not None:
            conclusion.cell(r, 2).value = value
    wb.save(form)


def _get(data, dotted):
    for part in dotted.split("."):
        data = data.get(part) if isinstance(data, dict) else None
    return data


def _budget_row(ws, row, item, total=False):
    col = 1
    for key, _ in L.BUDGET_SINGLE:
        if not total and item.get(key) is not None:
            ws.cell(row, col).value = item[key]
        col += 1
    for key, _ in L.BUDGET_GROUPS:
        for part, _ in L.MONEY_PARTS:
            value = (item.get(key) or {}).get(part)
            if value is not None:
                ws.cell(row, col).value = value
            col += 1
    for key, _ in L.BUDGET_TAIL:
        if item.get(key) is not None:
            ws.cell(row, col).value = item[key]
        col += 1


def test_the_units_path_from_a_blank_form_to_the_report(runner, tmp_path):
    form = tmp_path / "自评表.xlsx"
    assert runner.invoke(main, ["init", "-o", str(form)]).exit_code == 0
    wb = load_workbook(form)
    assert [ws.title for ws in wb.worksheets][:4] == [L.BASIC, L.BUDGET, L.GOALS, L.INDICATORS]
    assert wb[L.INDICATORS].protection.sheet and not wb[L.INDICATORS]["C3"].protection.locked
    assert wb[L.INDICATORS]["A2"].protection.locked and wb[L.OPTIONS].sheet_state == "hidden"
    lists = [dv.formula1 for dv in wb[L.INDICATORS].data_validations.dataValidation]
    assert any(f.startswith(L.OPTIONS) for f in lists)
    assert "产出指标" in [c.value for c in wb[L.OPTIONS]["A"]] and HELP_TEXT in "".join(
        str(c.value) for c in wb[L.HELP]["A"] if c.value)
    fill_form(form, SEED_DATA)
    checked = runner.invoke(main, ["check", str(form)])
    assert checked.exit_code == 4 and "自评表.xlsx!绩效指标!" in checked.output
    same_scores(card(runner, form), card(runner, SEED))
    report = tmp_path / "自评报告.docx"
    assert runner.invoke(main, ["report", str(form), "-o", str(report)]).exit_code == 0
    yaml_report = tmp_path / "seed.md"
    xlsx_report = tmp_path / "form.md"
    runner.invoke(main, ["report", str(SEED), "-o", str(yaml_report)])
    runner.invoke(main, ["report", str(form), "-o", str(xlsx_report)])
    body = lambda p: [l for l in p.read_text(encoding="utf-8").splitlines() if not l.startswith("评分规则集：") and "位置" not in l]  # noqa: E731
    assert [l for l in body(yaml_report) if "|" in l and "指标" in l][:20] == [l for l in body(xlsx_report) if "|" in l and "指标" in l][:20]


HELP_TEXT = "年度指标值的写法"


def test_init_for_a_project_ruleset(runner, tmp_path):
    form = tmp_path / "p.xlsx"
    assert runner.invoke(main, ["init", "--kind", "project", "--year", "2024", "-o", str(form)]).exit_code == 0
    wb = load_workbook(form)
    assert wb[L.BASIC]["B4"].value == "项目" and wb[L.BASIC]["B5"].value == 2024
    assert wb[L.BASIC]["B15"].value == "cn/project@2020.1"
    level1 = [c.value for c in wb[L.INDICATORS]["A"][2:] if c.value]
    assert "产出指标" in level1 and "满意度指标" in level1 and "预算执行率" not in level1


# ------------------------------------------------------------------------------ convert, lossless
def test_convert_the_example_and_score_it_the_same(runner, tmp_path):
    xlsx, back, js = tmp_path / "s.xlsx", tmp_path / "back.yaml", tmp_path / "s.json"
    for source, target in ((SEED, xlsx), (xlsx, back), (back, js)):
        result = runner.invoke(main, ["convert", str(source), "-o", str(target)])
        assert result.exit_code == 0, result.output
    for path in (xlsx, back, js):
        same_scores(card(runner, path), card(runner, SEED))
    assert canonical(load_file(back).data) == canonical(SEED_DATA)
    assert canonical(load_file(js).data) == canonical(SEED_DATA)


@settings(max_examples=max(10, EXAMPLES // 5), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=meanings(), data=st.data())
def test_yaml_to_xlsx_to_yaml_gives_the_same_submission(tmp_path_factory, rows, data):
    raw = write_meanings(rows, [data.draw(st.integers(0, 59)) for _ in rows], list(range(len(rows))))
    extra = data.draw(st.fixed_dictionaries({}, optional={
        "region": st.sampled_from(["陕西省榆林市子洲县", "某县"]), "report_date": st.sampled_from(["2025-03-10", "2025年3月10日"]),
        "notes": st.lists(st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=8), max_size=2)}))
    source = load_file_bytes(raw + yaml.safe_dump(extra, allow_unicode=True).encode("utf-8") if extra else raw)
    folder = tmp_path_factory.mktemp("rt")
    xlsx = folder / "s.xlsx"
    xlsx.write_bytes(write_workbook(source))
    back = load_submission(xlsx)
    assert canonical(back.data) == canonical(source)


def load_file_bytes(raw: bytes) -> dict:
    from perfrules.engine.yamlio import load_bytes
    return load_bytes(raw, "g.yaml").data


# ------------------------------------------------------------------------------ workbooks as people save them
def quirky_workbook(path: Path) -> None:
    """A 自评表 as a county clerk's Excel leaves it: renamed headers, reordered and extra columns, merged
    一级 cells, percent formats, dates as serials, numbers as text, a hidden row, blank rows."""
    from openpyxl import Workbook
    wb = Workbook()
    basic = wb.active
    basic.title = L.BASIC
    import datetime as dt
    for r, (label, value) in enumerate([("部门（单位）名称", "测试局"), ("评价类型", "项目"), ("年度", "２０２４"),
                                        ("报告日期", dt.date(2025, 3, 10))], start=3):
        basic.cell(r, 1).value, basic.cell(r, 2).value = label, value
    basic["B6"].number_format = "yyyy-mm-dd"
    budget = wb.create_sheet(L.BUDGET)
    budget.append(["年度预算执行情况"])
    budget.append(["任务名称", "主要内容", "完成情况", "全年预算数", None, None, "全年执行数", None, None, "分值", "执行率", "得分"])
    budget.append([None, None, None, "总额", "财政拨款", "其他资金", "总额", "财政拨款", "其他资金"])
    budget.append(["培训", "技能培训", 0.98, "1,320.50", "１３２０.５", 0, 1200, 1200, 0, None, None, None])
    budget["C4"].number_format = "0%"
    budget.append(["金额合计", None, None, 1320.5, 1320.5, 0, 1200, 1200, 0, 10, None, 9])
    sheet = wb.create_sheet("指标表")   # renamed: found by its headers
    sheet.append(["年度绩效指标"])
    sheet.append(["备注", "一级指标", "二级指标", "指标内容", "年度目标值", "实际完成值", "权重", "得分", "偏差原因"])
    sheet.append(["", "产出指标(60分)", "数量指标", "培训人数", "≥100人", "120人", 30, 30, None])
    sheet.append(["", None, "质量指标", "合格率", "≥90%", 0.95, 30, 30, None])
    sheet.append([None] * 9)
    sheet.append(["隐藏", None, "质量指标", "旧指标", "≥1", "0", 10, 10, None])
    sheet.row_dimensions[6].hidden = True
    sheet.append(["", "效益指标", "社会效益指标", "就业", "有所提升", "提升", 30, 28, "略有不足"])
    sheet.append(["", "满意度指标", "服务对象满意度指标", "满意度", "≥90%", "96%", 10, 10, None])
    sheet.merge_cells("B3:B4")
    sheet["F4"].number_format = "0%"
    wb.save(path)


def test_workbook_quirks_are_read_as_a_person_means_them(runner, tmp_path):
    path = tmp_path / "quirky.xlsx"
    quirky_workbook(path)
    sub = load_submission(path)
    names = [r.name for r in sub.rows]
    assert names == ["培训人数", "合格率", "就业", "满意度"]               # hidden and blank rows skipped
    assert sub.rows[1].levels == ["产出指标(60分)", "质量指标"]             # merged 一级 cell
    assert sub.rows[1].actual.text == "95%" and sub.year == 2024            # percent format; full-width digits
    assert sub.data["report_date"] == "2025-03-10"                          # a date serial
    task = sub.data["budget"]["tasks"][0]
    assert task["budget"]["total"] == Decimal("1320.50") and task["budget"]["fiscal"] == Decimal("1320.5")
    assert task["completion"] == "98%"
    result = card(runner, path)
    assert any(f["code"] == "W-LABEL-POINTS" and "指标表!B3" in f["location"]["cell"] for f in result["findings"])
    assert result["indicators"][1]["score"] == 30


def with_formula(path: Path, cached: str | None) -> None:
    """A workbook whose 分值 cell is a formula, with or without the value a spreadsheet program caches."""
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.title = L.BASIC
    ws["A3"], ws["B3"], ws["A4"], ws["B4"], ws["A5"], ws["B5"] = "部门（单位）名称", "测试局", "评价类型", "项目", "年度", 2024
    sheet = wb.create_sheet(L.INDICATORS)
    sheet.append(["绩效指标"])
    sheet.append(["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "自评得分"])
    sheet.append(["产出指标", "数量指标", "人数", "≥10人", "10人", "=40+10", 50])
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    if cached is not None:   # what Excel writes after computing it: <f>…</f><v>50</v>
        src = zipfile.ZipFile(io.BytesIO(data))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as dst:
            for info in src.infolist():
                content = src.read(info.filename)
                if info.filename == "xl/worksheets/sheet2.xml":
                    content = content.replace(b"<f>40+10</f><v></v>", b"<f>40+10</f><v>" + cached.encode() + b"</v>")
                    content = content.replace(b"<f>40+10</f><v />", b"<f>40+10</f><v>" + cached.encode() + b"</v>")
                dst.writestr(info, content)
        data = out.getvalue()
    path.write_bytes(data)


def test_a_formula_uses_its_cached_value_and_without_one_names_the_cell(runner, tmp_path):
    computed = tmp_path / "computed.xlsx"
    with_formula(computed, "50")
    sub = load_submission(computed)
    assert sub.rows[0].points == 50
    raw = tmp_path / "raw.xlsx"
    with_formula(raw, None)
    result = runner.invoke(main, ["score", str(raw), "--format", "json"])
    assert result.exit_code == 1
    err = json.loads(result.output)["errors"][0]
    assert err["code"] == "E-FORMULA" and err["location"]["cell"] == "绩效指标!F3" and "raw.xlsx!绩效指标!F3" in \
        runner.invoke(main, ["score", str(raw)]).output


def test_text_excel_cannot_store_is_refused_clearly(runner, tmp_path):
    source = tmp_path / "s.yaml"
    source.write_text(SEED.read_text(encoding="utf-8").replace("unit: 子洲县人力资源和社会保障局", 'unit: "甲\\x01单位"', 1),
                      encoding="utf-8")
    result = runner.invoke(main, ["convert", str(source), "-o", str(tmp_path / "s.xlsx")])
    assert result.exit_code == 1 and "控制字符" in result.output and not (tmp_path / "s.xlsx").exists()


def test_xlsm_is_read_and_old_formats_say_what_to_do(runner, tmp_path):
    xlsx = tmp_path / "s.xlsx"
    runner.invoke(main, ["convert", str(SEED), "-o", str(xlsx)])
    shutil.copy(xlsx, tmp_path / "s.xlsm")
    assert card(runner, tmp_path / "s.xlsm")["total"] == 84
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2000
    for name, fragment in (("encrypted.xlsx", "已加密"), ("old.xls", "另存为 .xlsx"), ("wps.et", "另存为 .xlsx")):
        (tmp_path / name).write_bytes(ole)
        result = runner.invoke(main, ["score", str(tmp_path / name)])
        assert result.exit_code == 1 and fragment in result.output, (name, result.output)


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_opens_the_form_and_the_converted_example(tmp_path):
    xlsx = tmp_path / "s.xlsx"
    from click.testing import CliRunner
    CliRunner().invoke(main, ["convert", str(SEED), "-o", str(xlsx)])
    options = "csv:Text - txt - csv (StarCalc):44,34,UTF8,1,,0,false,true,false,false,false,-1"
    soffice(tmp_path, options, xlsx)
    sheets = {p.name: p.read_text(encoding="utf-8") for p in tmp_path.glob("s-*.csv")}
    indicators = next(text for name, text in sheets.items() if L.INDICATORS in name)
    assert "财政供养人员" in indicators and "≥23 份" in indicators and "服务对象满意度" in indicators
    basic = next(text for name, text in sheets.items() if L.BASIC in name)
    assert "子洲县人力资源和社会保障局" in basic


# ------------------------------------------------------------------------------ Word reports
def test_import_of_our_own_report_gives_back_the_submission(runner, tmp_path):
    report = tmp_path / "r.docx"
    assert runner.invoke(main, ["report", str(SEED), "-o", str(report)]).exit_code == 0
    out = tmp_path / "r.yaml"
    result = runner.invoke(main, ["import", str(report), "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# 自评数据：由 perfrules import") and "# 年度读自" in text
    same_scores(card(runner, out), card(runner, SEED))
    imported = load_file(out).data
    assert imported["unit"] == SEED_DATA["unit"] and imported["stated"]["table"]["total"] == 99
    assert [t["name"] for t in imported["budget"]["tasks"]] == [t["name"] for t in SEED_DATA["budget"]["tasks"]]


def foreign_report(path: Path) -> None:
    """A report written in Word by hand, in a layout the importer's code never saw: the table split over
    two pages (the second without its header), columns in another order, merged cells, header variants,
    weights in labels, a narrative that states its own total and grade."""
    from docx import Document
    doc = Document()
    doc.add_paragraph("某县教育局2024年度部门整体支出绩效自评报告")
    doc.add_paragraph("部门（单位）名称：某县教育局")
    doc.add_paragraph("一、绩效自评表")
    header = ["一级指标", "二级指标", "指标内容", "权重", "年度目标值", "全年实际值", "自评得分", "偏差原因分析"]
    rows = [
        ["产出指标（50分）", "数量指标", "培训教师人次", "20", "≥1万人次", "12000人次", "20", ""],
        ["产出指标（50分）", "质量指标", "合格率", "15", "90%（含）以上", "96%", "15", ""],
        ["产出指标（50分）", "时效指标", "完成时间", "15", "12月底前", "2024年11月30日", "15", ""],
        ["效益指标（30分）", "社会效益指标", "办学条件", "30", "有所改善", "改善", "28", "部分学校进度滞后"],
    ]
    table = doc.add_table(rows=1 + len(rows), cols=len(header))
    for c, text in enumerate(header):
        table.cell(0, c).text = text
    for r, row in enumerate(rows, start=1):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    top = table.cell(1, 0).merge(table.cell(3, 0))
    top.text = "产出指标（50分）"
    doc.add_page_break()
    rest = doc.add_table(rows=3, cols=len(header))   # continued on the next page, no header repeated
    for r, row in enumerate([["满意度指标（10分）", "服务对象满意度指标", "家长满意度", "10", "≥90%", "95%", "9", ""],
                             ["总分", "", "", "100", "", "", "97", ""],
                             ["等级", "", "", "", "", "", "优", ""]]):
        for c, text in enumerate(row):
            rest.cell(r, c).text = text
    doc.add_paragraph("二、评价报告")
    doc.add_paragraph("（一）部门概况")
    doc.add_paragraph("某县教育局负责全县教育工作。")
    doc.add_paragraph("（二）绩效自评结论")
    doc.add_paragraph("1、本次自评满分 100 分，自评得分为 97 分，等级为优秀。")
    doc.save(str(path))


def test_import_of_a_report_in_an_unseen_layout_scores_within_a_point(runner, tmp_path):
    source = tmp_path / "教育局自评报告.docx"
    foreign_report(source)
    out = tmp_path / "edu.yaml"
    result = runner.invoke(main, ["import", str(source), "-o", str(out)])
    assert result.exit_code == 4 and "没有找到资金" in result.output, result.output   # no budget table: named
    data = load_file(out).data
    assert data["unit"] == "某县教育局" and data["year"] == 2024 and len(data["indicators"]) == 5
    assert data["stated"]["narrative"] == {"total": 97, "max": 100, "grade": "优秀"}
    assert data["stated"]["table"]["total"] == 97 and data["narrative"][1]["title"] == "（二）绩效自评结论"
    scored = card(runner, out, "--ruleset", "cn/unit-overall@2024.1")
    own = sum(i["self_score"] or 0 for i in scored["indicators"] if i["name"] != "预算执行率")
    rule = sum(i["score"] or 0 for i in scored["indicators"] if i["name"] != "预算执行率")
    assert abs(own - rule) <= 1, scored["indicators"]


def test_import_says_which_cells_it_could_not_read(runner, tmp_path):
    from docx import Document
    doc = Document()
    doc.add_paragraph("某县2024年度项目支出绩效自评报告")
    table = doc.add_table(rows=2, cols=5)
    for c, text in enumerate(["一级指标", "二级指标", "三级指标", "年度指标值", "分值"]):
        table.cell(0, c).text = text
    for c, text in enumerate(["产出指标", "数量指标", "人数", "≈100", "十分"]):
        table.cell(1, c).text = text
    path = tmp_path / "bad.docx"
    doc.save(str(path))
    result = runner.invoke(main, ["import", str(path), "-o", str(tmp_path / "bad.yaml")])
    assert result.exit_code == 4
    assert "表 1 第 2 行：年度指标值“≈100”无法识别" in result.output and "分值“十分”不是数值" in result.output
    data = load_file(tmp_path / "bad.yaml").data
    assert data["indicators"][0]["target"] is None and data["indicators"][0]["points"] is None


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_a_doc_is_converted_through_libreoffice(runner, tmp_path):
    source = tmp_path / "r.docx"
    foreign_report(source)
    soffice(tmp_path, "doc", source)
    result = runner.invoke(main, ["import", str(tmp_path / "r.doc"), "-o", str(tmp_path / "r.yaml")])
    assert result.exit_code == 4 and "没有找到资金" in result.output, result.output   # read; its budget table is missing
    assert len(load_file(tmp_path / "r.yaml").data["indicators"]) == 5


# ------------------------------------------------------------------------------ a bureau's folder
def test_batch_reads_every_format_and_lists_the_rest(runner, tmp_path):
    units = tmp_path / "units"
    units.mkdir()
    shutil.copy(SEED, units / "a.yaml")
    runner.invoke(main, ["convert", str(SEED), "-o", str(units / "b.json")])
    runner.invoke(main, ["convert", str(SEED), "-o", str(units / "c.xlsx")])
    runner.invoke(main, ["report", str(SEED), "-o", str(units / "d.docx")])
    (units / "e.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    (units / "f.txt").write_text("minutes", encoding="utf-8")
    result = runner.invoke(main, ["batch", str(units), "-o", str(units / "汇总.xlsx"), "--format", "json",
                                  "--trust-submission-ruleset"])
    data = json.loads(result.output)
    assert data["scored"] == 4 and [Path(e["file"]).name for e in data["errors"]] == ["e.xls"]
    assert [Path(n["file"]).name for n in data["not_read"]] == ["f.txt"]
    again = json.loads(runner.invoke(main, ["batch", str(units), "-o", str(units / "汇总.xlsx"), "--format", "json"]).output)
    assert any("汇总工作簿" in n["reason"] for n in again["not_read"])   # our own summary is not read back


# ------------------------------------------------------------------------------ hostile Office files
from . import hostile_office  # noqa: E402


@pytest.fixture(scope="module")
def office_hostiles(tmp_path_factory):
    folder = tmp_path_factory.mktemp("office")
    hostile_office.write_all(folder)
    return folder


@pytest.mark.parametrize("name", sorted(hostile_office.EXPECTED))
@pytest.mark.parametrize("command", ["score", "import", "rulesets import"])
def test_hostile_office_files_get_a_clear_message(runner, office_hostiles, tmp_path, name, command):
    """Every reader of Office files: score, import (Word, and workbooks in a published layout) and
    rulesets import (a 评分标准 workbook, issue 24)."""
    code, fragment = hostile_office.EXPECTED[name]
    path = office_hostiles / name
    if command == "rulesets import" and not name.endswith(".xlsx"):
        return
    writes = command != "score"
    args = command.split() + [str(path), "--format", "json"] + (["-o", str(tmp_path / "x.yaml")] if writes else [])
    result = runner.invoke(main, args)
    assert result.exit_code == 1, result.output
    error = json.loads(result.output)["errors"][0]
    assert error["code"] == code and fragment in error["message"] and name in error["location"]["file"], error
    assert not (tmp_path / "x.yaml").exists()


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_the_quirky_workbook_saved_as_xls_and_ods_reads_as_the_xlsx(runner, tmp_path):
    """What Excel 97–2003 and LibreOffice files keep (a hidden row, a merged 一级 cell, percent formats, a date
    serial, numbers as text) is read from .xls and .ods as from the .xlsx, value for value, cell for cell."""
    from .conftest import soffice
    path = tmp_path / "quirky.xlsx"
    quirky_workbook(path)
    for fmt in ("xls", "ods"):
        soffice(tmp_path, fmt, path)
    want = load_submission(path)
    for fmt in ("xls", "ods"):
        got = load_submission(tmp_path / f"quirky.{fmt}")
        assert got.data == want.data, fmt
        assert got.doc.cells == want.doc.cells, fmt
        result = card(runner, tmp_path / f"quirky.{fmt}")
        assert any(f["code"] == "W-LABEL-POINTS" and "指标表!B3" in f["location"]["cell"] for f in result["findings"])
    renamed = tmp_path / "自评表.et"   # WPS's spreadsheet format is the same binary format
    renamed.write_bytes((tmp_path / "quirky.xls").read_bytes())
    assert load_submission(renamed).data == want.data
