"""What the reader of a signed report sees (issue 21 item 4): the narrative's paragraphs and lists in every
format, numbers never split across lines in Word (checked in LibreOffice), the unit of measure beside every
target and actual, and no internal finding codes or file paths."""

from __future__ import annotations

import re
import shutil

import pdfplumber
import pytest
from docx import Document

from perfrules.engine.api import report_file
from perfrules.engine.reportview import paragraphs
from perfrules.engine.wordfit import column_needs, base_size_pt

from .conftest import SEED, soffice

NUMBERED = """第一段，说明情况。
第一段的第二行。

1、聚焦民生工程。
2、巩固拓展成果。
（三）第三项
①一项 ②两项
一是加强领导。"""


def test_paragraphs_keep_blank_lines_list_items_and_line_breaks():
    got = paragraphs(NUMBERED)
    assert [p["lines"] for p in got] == [["第一段，说明情况。", "第一段的第二行。"], ["1、聚焦民生工程。"], ["2、巩固拓展成果。"],
                                         ["（三）第三项"], ["①一项 ②两项"], ["一是加强领导。"]]
    assert [p["item"] for p in got] == [False, True, True, True, True, True]
    assert paragraphs("") == [] and paragraphs("\n\n  \n") == []


def seed_with_numbered_narrative(tmp_path):
    text = SEED.read_text(encoding="utf-8")
    body = "\n".join("          " + line for line in NUMBERED.splitlines())
    text = text.replace("narrative:\n", "narrative:\n  - title: （零）测试段落\n    body: |-\n" + body + "\n", 1)
    path = tmp_path / "seed.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_html_keeps_every_paragraph_and_line_break(tmp_path):
    out = tmp_path / "r.html"
    report_file(seed_with_numbered_narrative(tmp_path), out)
    html = out.read_text(encoding="utf-8")
    assert "<p>第一段，说明情况。<br>第一段的第二行。</p>" in html
    for item in ("1、聚焦民生工程。", "2、巩固拓展成果。", "（三）第三项", "一是加强领导。"):
        assert f'<p class="item">{item}</p>' in html


def test_markdown_keeps_paragraphs(tmp_path):
    out = tmp_path / "r.md"
    report_file(seed_with_numbered_narrative(tmp_path), out)
    md = out.read_text(encoding="utf-8")
    assert "第一段，说明情况。  \n第一段的第二行。\n\n1、聚焦民生工程。\n\n2、巩固拓展成果。" in md


def test_pdf_starts_each_list_item_on_its_own_line(tmp_path):
    out = tmp_path / "r.pdf"
    report_file(seed_with_numbered_narrative(tmp_path), out)
    with pdfplumber.open(str(out)) as pdf:
        lines = [line.strip() for page in pdf.pages for line in (page.extract_text() or "").splitlines()]
    for item in ("1、聚焦民生工程。", "2、巩固拓展成果。", "（三）第三项", "一是加强领导。", "第一段的第二行。"):
        assert item in lines, item


def test_report_tables_show_units_with_targets_and_actuals(tmp_path):
    out = tmp_path / "r.md"
    report_file(SEED, out)
    md = out.read_text(encoding="utf-8")
    assert "| 工会发放礼品 | ≥23 份 | 23 份 |" in md and "| 招聘次数 | ≥2 次 | 10 次 |" in md
    assert "| 服务对象满意度 | ≥90% | 98% |" in md


def test_a_unit_column_shows_beside_both_values(tmp_path):
    text = SEED.read_text(encoding="utf-8").replace(
        "name: 财政供养人员, target: \"12\", actual: \"12\",", "name: 财政供养人员, target: \"12\", actual: \"12\", unit: 人,")
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "r.md"
    report_file(path, out)
    assert "| 财政供养人员 | 12 人 | 12 人 |" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", ["md", "html", "docx"])
def test_the_signed_report_shows_no_finding_codes_or_file_paths(tmp_path, fmt):
    out = tmp_path / f"r.{fmt}"
    report_file(SEED, out)
    if fmt == "docx":
        doc = Document(str(out))
        text = "\n".join([p.text for p in doc.paragraphs] + [c.text for t in doc.tables for r in t.rows for c in r.cells])
    else:
        text = out.read_text(encoding="utf-8")
    assert not re.search(r"\b[CEWI]-[A-Z][A-Z-]+\b", text), re.findall(r"\b[CEWI]-[A-Z][A-Z-]+\b", text)[:5]
    assert ".yaml" not in text and "rulesets/" not in text and "/work" not in text
    assert "自评表总分 99 分，但表中各行得分相加为 87 分" in text   # the finding itself is still there, in words


def test_every_word_table_column_holds_its_widest_number(tmp_path):
    """Property over every table of the Word report: each column is at least as wide as the widest
    unbreakable token (number, percentage, date) of its cells, and the table fits the page."""
    out = tmp_path / "r.docx"
    report_file(SEED, out)
    doc = Document(str(out))
    section = doc.sections[-1]
    text_width = int(section.page_width - section.left_margin - section.right_margin) // 635
    for table in doc.tables:
        widths, least, _ = column_needs(table._tbl, base_size_pt(doc))
        assert all(w + 1 >= low for w, low in zip(widths, least)), (widths, least)
        assert sum(widths) <= text_width + len(widths)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_never_splits_a_number_of_the_word_report(tmp_path):
    out = tmp_path / "seed.docx"
    report_file(SEED, out)
    soffice(tmp_path, "pdf", out)
    with pdfplumber.open(str(tmp_path / "seed.pdf")) as pdf:
        words = [w["text"] for page in pdf.pages for w in page.extract_words()]
    # A number split over two lines leaves a fragment as a word of its own: `559.` over `03`, `98` over `%`.
    fragments = [w for w in words if re.fullmatch(r"\d+\.", w) or w in ("%", "％")]
    assert not fragments, fragments
    for number in ("559.03", "0.62", "0.41", "100%", "98%"):
        assert number in words, number
