"""Build the Word templates (templates/*/1/report.docx) with python-docx.

The .docx files are committed: a person edits them in Word or WPS like any document, keeping the
{{ … }} and {%tr … %} tags (docxtpl syntax). This script is how the first version was made; rerun it
only to start a template over:  python tools/build_docx_templates.py
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

ROOT = Path(__file__).resolve().parent.parent / "templates"
BODY_FONT, HEAD_FONT, LATIN = "宋体", "黑体", "Times New Roman"


def east_asian(style, name: str, size: float, bold: bool = False) -> None:
    style.font.name = LATIN
    style.font.size = Pt(size)
    style.font.bold = bold
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), name)
    fonts.set(qn("w:ascii"), LATIN)
    fonts.set(qn("w:hAnsi"), LATIN)


def new_document() -> Document:
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(18)
    section.top_margin, section.bottom_margin = Mm(20), Mm(18)
    east_asian(doc.styles["Normal"], BODY_FONT, 10.5)
    for level, size in ((1, 16), (2, 14), (3, 12), (4, 10.5)):
        style = doc.styles[f"Heading {level}"]
        east_asian(style, HEAD_FONT, size, bold=True)
        style.font.color.rgb = None
    east_asian(doc.styles["Table Grid"], BODY_FONT, 9)
    body = doc.styles["Normal"].paragraph_format
    body.first_line_indent = Pt(21)   # two characters, as Chinese reports are typeset
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.paragraph_format.first_line_indent = Pt(0)
    footer.add_run("第 ")
    field(footer, "PAGE")
    footer.add_run(" 页 / 共 ")
    field(footer, "NUMPAGES")
    footer.add_run(" 页")
    # Document properties are set when a report is rendered (render.py): title, the unit as author, the date.
    return doc


def field(paragraph, code: str) -> None:
    """A Word field (PAGE, NUMPAGES) that Word, WPS and LibreOffice fill in when they lay out the page."""
    run = paragraph.add_run()
    simple = run._r.makeelement(qn("w:fldSimple"), {qn("w:instr"): f" {code} "})
    inner = simple.makeelement(qn("w:r"), {})
    text = inner.makeelement(qn("w:t"), {})
    text.text = "1"
    inner.append(text)
    simple.append(inner)
    run._r.addnext(simple)


def repeat_header(t, rows: int = 1) -> None:
    """The first `rows` rows repeat at the top of every page the table continues on; no row splits."""
    for i, row in enumerate(t.rows):
        tr_pr = row._tr.get_or_add_trPr()
        if i < rows:
            tr_pr.append(tr_pr.makeelement(qn("w:tblHeader"), {}))
        tr_pr.append(tr_pr.makeelement(qn("w:cantSplit"), {}))


def para(doc, text: str, align=None, bold: bool = False, size: float | None = None):
    p = doc.add_paragraph()
    if align is not None or bold or text.startswith("{%"):
        p.paragraph_format.first_line_indent = Pt(0)   # titles, labels and tags are not indented
    if bold:
        p.paragraph_format.keep_with_next = True        # a caption stays with the table or text it names
    run = p.add_run(text)
    run.bold = bold
    if size:
        run.font.size = Pt(size)
    if align is not None:
        p.alignment = align
    return p


def table(doc, rows: list[list[str]], widths_mm: list[float] | None = None):
    t = doc.add_table(rows=len(rows), cols=len(rows[0]))
    t.style = doc.styles["Table Grid"]
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    for i, cells in enumerate(rows):
        for j, text in enumerate(cells):
            t.cell(i, j).text = text
            for paragraph in t.cell(i, j).paragraphs:
                paragraph.paragraph_format.first_line_indent = Pt(0)
    if widths_mm:
        # Word reads the cell widths, LibreOffice the grid's: set both.
        t.autofit = False
        for column, w in zip(t.columns, widths_mm):
            column.width = Mm(w)
        for row in t.rows:
            for cell, w in zip(row.cells, widths_mm):
                cell.width = Mm(w)
    return t


def merge(a, b):
    """Merge cells and drop the empty paragraphs the merged-away cells leave behind."""
    cell = a.merge(b)
    for extra in cell.paragraphs[1:]:
        if not extra.text.strip():
            extra._element.getparent().remove(extra._element)
    return cell


def cover(doc, lines: list[tuple[str, str]]) -> None:
    for _ in range(4):
        doc.add_paragraph()
    para(doc, "{{ r.title }}", WD_ALIGN_PARAGRAPH.CENTER, bold=True, size=20)
    doc.add_paragraph()
    para(doc, "{%p for line in r.cover %}")
    para(doc, "{{ line.label }}：{{ line.value }}", WD_ALIGN_PARAGRAPH.CENTER, size=14)
    para(doc, "{%p endfor %}")
    doc.add_paragraph()
    para(doc, "{{ r.issuer }}", WD_ALIGN_PARAGRAPH.CENTER, size=14)
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def unit_budget(doc) -> None:
    m = "r.money_unit"
    t = table(doc, [
        ["部门（单位）名称", "", "{{ r.unit }}", "", "", "", "", "", "", "", "", "", ""],
        ["年度主要任务完成情况", "任务名称", "主要内容", "完成情况", f"全年预算数（{{{{ {m} }}}}）", "", "", f"全年执行数（{{{{ {m} }}}}）",
         "", "", "分值", "执行率", "得分（按规则复核）"],
        ["", "", "", "", "总额", "财政拨款", "其他资金", "总额", "财政拨款", "其他资金", "", "", ""],
        ["{%tr for t in r.tasks %}"] + [""] * 12,
        ["{% vm %}年度主要任务完成情况", "{{ t.name }}", "{{ t.content }}", "{{ t.completion }}", "{{ t.budget.total }}",
         "{{ t.budget.fiscal }}", "{{ t.budget.other }}", "{{ t.spent.total }}", "{{ t.spent.fiscal }}", "{{ t.spent.other }}",
         "{{ t.points }}", "{{ t.rate }}", "{{ t.score }}"],
        ["{%tr endfor %}"] + [""] * 12,
        ["金额合计", "", "", "", "{{ r.budget_total.budget.total }}", "{{ r.budget_total.budget.fiscal }}",
         "{{ r.budget_total.budget.other }}", "{{ r.budget_total.spent.total }}", "{{ r.budget_total.spent.fiscal }}",
         "{{ r.budget_total.spent.other }}", "{{ r.budget_total.points }}", "{{ r.budget_total.rate }}",
         "{{ r.budget_total.score }}"],
    ], [14, 20, 26, 11, 12, 12, 10, 12, 12, 10, 9, 11, 11])
    merge(t.cell(0, 0), t.cell(0, 1))
    merge(t.cell(0, 2), t.cell(0, 12))
    for col in (0, 1, 2, 3, 10, 11, 12):
        merge(t.cell(1, col), t.cell(2, col))
    merge(t.cell(1, 4), t.cell(1, 6))
    merge(t.cell(1, 7), t.cell(1, 9))
    merge(t.cell(6, 0), t.cell(6, 3))
    repeat_header(t, 3)


def project_budget(doc) -> None:
    b = "r.budget_total"
    t = table(doc, [
        ["项目名称", "", "{{ r.project }}", "", "", "", "", ""],
        ["主管部门", "", "{{ r.department }}", "", "实施单位", "", "{{ r.unit }}", ""],
        ["项目资金（{{ r.money_unit }}）", "", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"],
        ["", "年度资金总额", f"{{{{ {b}.budget_initial.total }}}}", f"{{{{ {b}.budget.total }}}}",
         f"{{{{ {b}.spent.total }}}}", f"{{{{ {b}.points }}}}", f"{{{{ {b}.rate }}}}", f"{{{{ {b}.score }}}}"],
        ["", "其中：财政拨款", f"{{{{ {b}.budget_initial.fiscal }}}}", f"{{{{ {b}.budget.fiscal }}}}",
         f"{{{{ {b}.spent.fiscal }}}}", "—", "—", "—"],
        ["", "其他资金", f"{{{{ {b}.budget_initial.other }}}}", f"{{{{ {b}.budget.other }}}}",
         f"{{{{ {b}.spent.other }}}}", "—", "—", "—"],
    ], [22, 26, 22, 22, 22, 16, 18, 16])
    merge(t.cell(0, 0), t.cell(0, 1))
    merge(t.cell(0, 2), t.cell(0, 7))
    merge(t.cell(1, 0), t.cell(1, 1))
    merge(t.cell(1, 2), t.cell(1, 3))
    merge(t.cell(1, 4), t.cell(1, 5))
    merge(t.cell(1, 6), t.cell(1, 7))
    merge(t.cell(2, 0), t.cell(5, 0))
    repeat_header(t, 0)


def common_body(doc) -> None:
    goals = table(doc, [["年度总体目标", "预期目标（年初设定）", "目标实际完成情况"],
                        ["", "{{ r.goals.expected }}", "{{ r.goals.achieved }}"]], [30, 72, 72])
    merge(goals.cell(0, 0), goals.cell(1, 0))
    repeat_header(goals, 1)
    para(doc, "年度绩效指标完成情况", bold=True)
    t = table(doc, [
        ["一级指标", "二级指标", "三级指标（指标内容）", "年度指标值", "实际完成值", "分值", "自评得分（单位自评）", "复核得分（按规则复核）"],
        ["{%tr for row in r.indicator_rows %}", "", "", "", "", "", "", ""],
        ["{% if row.level1_first %}{{ row.level1 }}（{{ row.level1_points }}分）{% endif %}",
         "{% if row.level2_first %}{{ row.level2 }}{% endif %}", "{{ row.name }}", "{{ row.target }}", "{{ row.actual }}",
         "{{ row.points }}", "{{ row.self_score }}", "{{ row.score }}"],
        ["{%tr endfor %}", "", "", "", "", "", "", ""],
        ["总分", "", "", "", "", "{{ r.total_points }}", "{{ r.own_total }}", "{{ r.total_score }}"],
        ["等级", "", "", "", "", "", "{{ r.own_grade }}", "{{ r.grade }}"],
    ], [20, 22, 44, 22, 22, 12, 16, 16])
    merge(t.cell(4, 0), t.cell(4, 4))
    merge(t.cell(5, 0), t.cell(5, 4))
    repeat_header(t, 1)
    para(doc, "自评得分、总分和等级为单位自评；复核得分、总分和等级按评分规则集 {{ r.provenance.ruleset }} 复核，以复核结果为准。",
         size=9)

    doc.add_heading("二、评价小组", level=2)
    t = table(doc, [["姓名", "职务/职称", "单位", "签字"],
                    ["{%tr for m in r.team %}", "", "", ""],
                    ["{{ m.name }}", "{{ m.title }}", "{{ m.unit }}", ""],
                    ["{%tr endfor %}", "", "", ""],
                    ["评价组组长（签字）：　　　　　　{{ r.signatures.leader_date }}", "", "", ""],
                    ["部门（单位）意见：{{ r.signatures.unit_opinion }}　部门（单位）负责人（签章）：{{ r.signatures.unit_date }}", "", "", ""]],
              [30, 36, 70, 38])
    merge(t.cell(4, 0), t.cell(4, 3))
    merge(t.cell(5, 0), t.cell(5, 3))
    repeat_header(t, 1)

    doc.add_heading("三、评价报告", level=2)
    para(doc, "以下为单位报告原文（单位自评）。其中所述得分、等级为单位自评结果；按规则复核的结果见“四、评价结论”。", size=9)
    para(doc, "{%p for s in r.sections %}")
    para(doc, "{{ s.title }}", bold=True)
    para(doc, "{%p if s.body %}")
    para(doc, "{{ s.body }}")
    para(doc, "{%p endif %}")
    para(doc, "{%p endfor %}")
    doc.add_heading("四、评价结论（按规则复核）", level=2)
    para(doc, "{{ r.summary }}")
    para(doc, "{%p if r.own_total != '—' %}")
    para(doc, "单位自评总分 {{ r.own_total }} 分{% if r.own_grade != '—' %}（{{ r.own_grade }}）{% endif %}，与复核结果不一致之处见附录。")
    para(doc, "{%p endif %}")

    # The appendix starts a page by its heading's own property: a paragraph holding a page break would make
    # an empty page whenever the text before it ends exactly at the foot of a page.
    doc.add_heading("附录：评分核对（perfrules 生成）", level=2).paragraph_format.page_break_before = True
    para(doc, "总分对照", bold=True)
    repeat_header(table(doc, [["来源", "总分", "等级"], ["{%tr for s in r.stated %}", "", ""],
                ["{{ s.label }}", "{{ s.total }}", "{{ s.grade }}"], ["{%tr endfor %}", "", ""]], [80, 40, 40]), 1)
    para(doc, "自评分与规则得分不一致的指标", bold=True)
    repeat_header(table(doc, [["指标", "自评得分", "规则得分", "规则说明"], ["{%tr for d in r.differences %}", "", "", ""],
                ["{{ d.name }}", "{{ d.self_score }}", "{{ d.score }}", "{{ d.explanation }}"],
                ["{%tr endfor %}", "", "", ""]], [40, 18, 18, 98]), 1)
    para(doc, "核对发现的问题", bold=True)
    # The signed report shows what is wrong in words; finding codes and where they are in the input file
    # belong in the machine outputs (score/check --format json), not in front of the report's reader.
    repeat_header(table(doc, [["级别", "说明"], ["{%tr for f in r.findings %}", ""],
                ["{{ f.severity }}", "{{ f.message }}"],
                ["{%tr endfor %}", ""]], [16, 158]), 1)
    para(doc, "评分规则（{{ r.provenance.ruleset_title }}）", bold=True)
    repeat_header(table(doc, [["类别或指标", "分值", "评分规则"], ["{%tr for x in r.rules %}", "", ""],
                ["{{ x.name }}", "{{ x.points }}", "{{ x.rule }}"],
                ["{%tr endfor %}", "", ""]], [44, 14, 116]), 1)
    para(doc, "评分规则集：{{ r.provenance.ruleset }}（sha256 {{ r.provenance.ruleset_sha256[:16] }}）；"
              "自评数据 sha256 {{ r.provenance.input_sha256[:16] }}；"
              "报告模板：{{ r.provenance.template }}；{{ r.provenance.engine }}；生成日期：{{ r.provenance.rendered_on }}。",
         size=8)


def build(kind: str) -> Path:
    doc = new_document()
    if kind == "unit-overall":
        cover(doc, [("单位名称", "r.unit"), ("评价方式", "r.evaluation_method"), ("评价机构", "r.evaluation_organ"),
                    ("报告日期", "r.report_date")])
    else:
        cover(doc, [("项目名称", "r.project"), ("主管部门", "r.department"), ("实施单位", "r.unit"),
                    ("报告日期", "r.report_date")])
    doc.add_heading("一、{{ r.table_title }}", level=2)
    para(doc, "（{{ r.year }}年度）", WD_ALIGN_PARAGRAPH.CENTER)
    (unit_budget if kind == "unit-overall" else project_budget)(doc)
    common_body(doc)
    out = ROOT / kind / "1" / "report.docx"
    doc.save(out)
    return out


if __name__ == "__main__":
    for kind in ("unit-overall", "project"):
        print(build(kind))
