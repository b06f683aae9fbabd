"""What a bureau signs: the layout rules of the PDF and Word reports, checked on the rendered seed.

PDF (WeasyPrint): every page that continues a table starts with its header; a header never stands with
fewer than two rows under it at the foot of a page; no local path anywhere; one conclusion, the rule's;
every total says whose it is; one date style. Word: the same rows and columns as the PDF, repeating
header rows, rows that do not split, a 第 X 页 / 共 Y 页 footer, first-line indents, and document
properties that describe the report. (The pages were also looked at as images, through pdftoppm and,
for Word, LibreOffice.)
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pdfplumber
import pytest
from docx import Document
from docx.oxml.ns import qn

from perfrules.engine.api import report_file
from perfrules.engine.yamlio import load_file

from .conftest import SEED, soffice

SEED_DATA = load_file(SEED).data
INDICATORS = [row["name"] for row in SEED_DATA["indicators"]]
TASKS = [task["name"] for task in SEED_DATA["budget"]["tasks"]]
TEAM = [member["name"] for member in SEED_DATA["team"]]
TABLES = {   # header marker → (predicate for a line that is one of its rows, in the body or in the appendix)
    "三级指标": (lambda line: any(name.replace(" ", "") in line.replace(" ", "") for name in INDICATORS), "body"),
    "任务名称": (lambda line: any(line.startswith(task[:6]) for task in TASKS), "body"),
    "职务/职称": (lambda line: any(line.startswith(name) for name in TEAM), "body"),
    "级别 说明": (lambda line: re.match(r"(错误|警告|提示) ", line) is not None, "appendix"),
}


def part(pages: list[list[str]], which: str) -> list[list[str]]:
    """The pages' lines before the appendix heading (body) or from it on (appendix)."""
    out, in_appendix = [], False
    for lines in pages:
        kept = []
        for line in lines:
            in_appendix = in_appendix or line.startswith("附录：评分核对")
            if in_appendix == (which == "appendix"):
                kept.append(line)
        out.append(kept)
    return out


@pytest.fixture(scope="module")
def seed_pdf(tmp_path_factory):
    out = tmp_path_factory.mktemp("pdf") / "seed.pdf"
    report_file(SEED, out)
    with pdfplumber.open(str(out)) as pdf:
        pages = [(page.extract_text() or "").splitlines() for page in pdf.pages]
    return pages


def test_every_page_that_continues_a_table_starts_with_its_header(seed_pdf):
    for marker, (is_row, where) in TABLES.items():
        seen = False
        for number, lines in enumerate(part(seed_pdf, where), start=1):
            rows = [i for i, line in enumerate(lines) if is_row(line)]
            headers = [i for i, line in enumerate(lines) if marker in line]
            if not rows:
                continue
            assert headers and headers[0] < rows[0], f"page {number}: rows of the table under “{marker}” without its header"
            seen = True
        assert seen, marker


def test_a_header_never_stands_without_two_rows_under_it(seed_pdf):
    for marker, (is_row, where) in TABLES.items():
        pages = part(seed_pdf, where)
        remaining = sum(1 for lines in pages for line in lines if is_row(line))
        for number, lines in enumerate(pages, start=1):
            for h in (i for i, line in enumerate(lines) if marker in line):
                under = sum(1 for line in lines[h + 1:] if is_row(line))
                assert under >= min(2, remaining), f"page {number}: “{marker}” header with {under} rows under it"
            remaining -= sum(1 for line in lines if is_row(line))


def test_one_conclusion_the_rules_and_every_total_says_whose(seed_pdf):
    text = "\n".join("\n".join(lines) for lines in seed_pdf)
    flat = text.replace("\n", "")
    assert flat.count("四、评价结论（按规则复核）") == 1
    conclusion = flat.split("四、评价结论（按规则复核）", 1)[1][:400]
    assert "复核得分 84 分" in conclusion and "良" in conclusion
    assert "单位自评" in flat and "按规则复核" in flat and "以下为单位报告原文（单位自评）" in flat


def test_every_total_in_the_table_says_whose_it_is(tmp_path):
    report_file(SEED, tmp_path / "s.html")
    html = (tmp_path / "s.html").read_text(encoding="utf-8")
    assert "<th>自评得分（单位自评）</th><th>复核得分（按规则复核）</th>" in html
    assert re.search(r"<th colspan=\"5\">总分</th><td class=\"n\">100</td><td class=\"n\">99</td><td class=\"n\">84</td>", html)


def test_no_local_path_and_one_date_style(seed_pdf):
    text = "\n".join("\n".join(lines) for lines in seed_pdf)
    assert not re.search(r"/(work|tmp|home|root|Users)/", text) and "\\" not in text
    assert "自评数据 sha256" in text.replace("\n", "") and ".yaml" not in text   # the input by hash, never by path
    assert not re.search(r"\b20\d\d-\d\d-\d\d\b", text), re.findall(r"\b20\d\d-\d\d-\d\d\b", text)
    assert "2025年3月10日" in text


def test_the_cover_omits_lines_without_a_value(tmp_path):
    from perfrules.engine.api import report_file as render
    text = (SEED.read_text(encoding="utf-8").replace("  method: 单位绩效自评\n", "  method: null\n"))
    source = tmp_path / "s.yaml"
    source.write_text(text, encoding="utf-8")
    render(source, tmp_path / "s.md")
    assert "评价方式：" not in (tmp_path / "s.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def seed_docx(tmp_path_factory):
    out = tmp_path_factory.mktemp("docx") / "seed.docx"
    report_file(SEED, out)
    return out


def test_word_has_every_row_and_column_the_pdf_has(seed_docx):
    doc = Document(str(seed_docx))
    budget = doc.tables[0]
    assert budget.rows[0].cells[0].text == "部门（单位）名称" and budget.rows[0].cells[2].text == SEED_DATA["unit"]
    assert budget.rows[1].cells[0].text == "年度主要任务完成情况"
    assert [c.text for c in budget.rows[3].cells][1] == TASKS[0]
    indicators = next(t for t in doc.tables if t.rows[0].cells[0].text == "一级指标")
    assert [c.text for c in indicators.rows[0].cells][-2:] == ["自评得分（单位自评）", "复核得分（按规则复核）"]


def test_word_header_rows_repeat_and_rows_do_not_split(seed_docx):
    doc = Document(str(seed_docx))
    for table in doc.tables:
        trs = table._tbl.tr_lst
        assert all(tr.trPr is not None and tr.trPr.find(qn("w:cantSplit")) is not None for tr in trs)
    repeating = [t for t in doc.tables if t._tbl.tr_lst[0].trPr.find(qn("w:tblHeader")) is not None]
    assert len(repeating) >= 5


def test_word_footer_indents_and_properties(seed_docx):
    doc = Document(str(seed_docx))
    footer = doc.sections[0].footer._element.xml
    assert "PAGE" in footer and "NUMPAGES" in footer and "第" in footer and "共" in footer
    assert doc.styles["Normal"].paragraph_format.first_line_indent is not None
    props = doc.core_properties
    assert props.title == "子洲县 2024 年度单位整体支出绩效自评报告" and props.author == SEED_DATA["unit"]
    assert props.created.year == 2025 and props.created.month == 3 and props.author != "python-docx"


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_word_lays_out_with_the_same_rules_in_libreoffice(seed_docx, tmp_path):
    soffice(tmp_path, "pdf", seed_docx)
    with pdfplumber.open(str(tmp_path / "seed.pdf")) as pdf:
        pages = [(page.extract_text() or "").splitlines() for page in pdf.pages]
    assert all(f"第 {i} 页" in "\n".join(lines) for i, lines in enumerate(pages, start=1))
    test_every_page_that_continues_a_table_starts_with_its_header(pages)
