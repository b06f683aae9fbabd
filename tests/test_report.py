"""Reports: every format for every shipped ruleset, safety, versioned templates, atomic output."""

import hashlib
import zipfile
from pathlib import Path

import pytest
from docx import Document
from pypdf import PdfReader

from perfrules.cli import main
from perfrules.engine import render
from perfrules.engine.api import report_file
from perfrules.engine.errors import PerfrulesError

from .conftest import DATA, SEED

PROJECT = DATA / "project-training-2024.yaml"
INDICATORS = ["财政供养人员", "工会发放礼品", "招聘次数", "宣传次数", "档案管理份数", "上解率", "资金合规率", "高质量完成",
              "2024 年底完成率", "履职项目业务经费", "受益人员经济收入", "提高机关事业单位服务能力，优化人才结构",
              "带动就业创业人员数量", "服务对象满意度"]
SHIPPED = [("cn/unit-overall@2024.1", SEED, "84"), ("cn/budget10-free90@2024.1", SEED, "93.25"),
           ("shaanxi/zizhou-unit-overall@2025.1", SEED, "94"), ("cn/project@2020.1", PROJECT, "")]


@pytest.fixture(autouse=True)
def _fixed_date(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")   # 2026-01-01


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(str(path)).pages)


def docx_text(path: Path) -> str:
    doc = Document(str(path))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


@pytest.mark.parametrize("fmt", ["md", "html", "pdf", "docx"])
@pytest.mark.parametrize("ruleset,submission,total", SHIPPED, ids=[s[0] for s in SHIPPED])
def test_every_format_for_every_shipped_ruleset(tmp_path, fmt, ruleset, submission, total):
    out = tmp_path / f"report.{fmt}"
    report_file(submission, out, ruleset)
    text = {"pdf": pdf_text, "docx": docx_text}.get(fmt, lambda p: p.read_text(encoding="utf-8"))(out)
    assert ruleset in text and "perfrules" in text and "2026年1月1日" in text        # provenance, one date style
    assert ("部门整体支出绩效自评表" if submission == SEED else "项目支出绩效自评表") in text
    if submission == SEED:
        for name in INDICATORS:
            assert name.replace(" ", "") in text.replace(" ", "").replace("\n", ""), name
        assert f"得分 {total} 分" in text.replace("\n", "")
    else:
        assert "2024 年职业技能培训补贴" in text and "培训后就业率" in text


def test_pdf_embeds_its_chinese_fonts(tmp_path):
    out = tmp_path / "seed.pdf"
    report_file(SEED, out)
    reader = PdfReader(str(out))
    fonts = {}
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            descendant = font.get("/DescendantFonts")
            descriptor = (descendant[0].get_object() if descendant else font).get("/FontDescriptor")
            if descriptor is not None:
                d = descriptor.get_object()
                fonts[str(font["/BaseFont"])] = any(k in d for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    assert fonts and all(fonts.values()), fonts
    assert any("CJK" in name or "Hei" in name or "Song" in name for name in fonts)
    assert "子洲县人力资源和社会保障局" in pdf_text(out)


def test_html_is_self_contained_a4_with_merged_cells(tmp_path):
    out = tmp_path / "seed.html"
    report_file(SEED, out)
    html = out.read_text(encoding="utf-8")
    assert "size: A4" in html and "Noto Serif CJK SC" in html and "SimSun" in html
    assert '<td rowspan="10" class="c">产出指标<br>（50分）</td>' in html
    assert "<link" not in html and "<script" not in html and "src=" not in html


def test_docx_merges_level_cells_and_sets_the_east_asian_font(tmp_path):
    out = tmp_path / "seed.docx"
    report_file(SEED, out)
    doc = Document(str(out))
    table = next(t for t in doc.tables if t.rows[0].cells[0].text == "一级指标")
    assert table.cell(1, 0)._tc is table.cell(10, 0)._tc          # 产出指标 spans its ten rows
    assert table.cell(11, 0)._tc is not table.cell(10, 0)._tc
    with zipfile.ZipFile(out) as z:
        styles = z.read("word/styles.xml").decode("utf-8")
    assert 'w:eastAsia="宋体"' in styles


HOSTILE_NAME = "<script>alert('x')</script> & 某单位 | 分号"


@pytest.mark.parametrize("fmt", ["html", "docx", "md"])
def test_a_hostile_unit_name_renders_as_text(tmp_path, fmt):
    sub = tmp_path / "hostile.yaml"
    sub.write_text(SEED.read_text(encoding="utf-8").replace("unit: 子洲县人力资源和社会保障局",
                                                            f"unit: \"{HOSTILE_NAME}\""), encoding="utf-8")
    out = tmp_path / f"r.{fmt}"
    report_file(sub, out)
    if fmt == "html":
        html = out.read_text(encoding="utf-8")
        assert "<script>alert" not in html and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; 某单位" in html
    elif fmt == "docx":
        with zipfile.ZipFile(out) as z:
            xml = z.read("word/document.xml").decode("utf-8")
        assert "<script>" not in xml and "&lt;script&gt;" in xml
        assert HOSTILE_NAME in docx_text(out)
    else:
        assert "某单位 \\| 分号" in out.read_text(encoding="utf-8")


def make_set(root: Path, name: str, version: str, extends: str | None, files: dict[str, str]) -> None:
    folder = root / name / version
    folder.mkdir(parents=True)
    (folder / "template.yaml").write_text(f"title: 测试\nextends: {extends or 'null'}\n", encoding="utf-8")
    for file, text in files.items():
        (folder / file).write_text(text, encoding="utf-8")


def test_a_new_version_overrides_only_its_blocks(tmp_path):
    make_set(tmp_path, "unit-overall", "2", "unit-overall@1", {
        "report.html.j2": '{% extends "unit-overall/1/report.html.j2" %}\n{% block cover %}<p>新版封面 {{ r.unit }}</p>{% endblock %}\n'})
    out = tmp_path / "v2.html"
    used = report_file(SEED, out, template="unit-overall@2", template_dirs=[tmp_path])
    html = out.read_text(encoding="utf-8")
    assert used == "unit-overall@2"
    assert "新版封面 子洲县人力资源和社会保障局" in html and "部门整体支出绩效自评表" in html and "评价组组长" in html
    # formats the new version does not override come from the version it extends
    report_file(SEED, tmp_path / "v2.docx", template="unit-overall@2", template_dirs=[tmp_path])
    assert "财政供养人员" in docx_text(tmp_path / "v2.docx")


def test_missing_variable_names_the_template_file_and_line(tmp_path):
    make_set(tmp_path, "broken", "1", None, {"report.md.j2": "# {{ r.title }}\n\n{{ r.no_such_field }}\n"})
    out = tmp_path / "x.md"
    with pytest.raises(PerfrulesError) as info:
        report_file(SEED, out, template="broken@1", template_dirs=[tmp_path])
    d = info.value.first
    assert d.code == "E-TEMPLATE" and "no_such_field" in d.message
    assert d.location.file.endswith("broken/1/report.md.j2") and d.location.line == 3
    assert not out.exists() and not list(tmp_path.glob(".x.md.*"))       # nothing half-written


def test_templates_are_sandboxed(tmp_path):
    make_set(tmp_path, "evil", "1", None,
             {"report.md.j2": "{{ ''.__class__.__mro__[1].__subclasses__() }}\n"})
    with pytest.raises(PerfrulesError) as info:
        report_file(SEED, tmp_path / "x.md", template="evil@1", template_dirs=[tmp_path])
    assert info.value.first.code == "E-TEMPLATE"


def test_output_never_overwrites_the_input(tmp_path):
    sub = tmp_path / "seed.md"
    sub.write_bytes(SEED.read_bytes())
    before = hashlib.sha256(sub.read_bytes()).hexdigest()
    with pytest.raises(PerfrulesError, match="不能覆盖输入"):
        report_file(sub, sub)
    assert hashlib.sha256(sub.read_bytes()).hexdigest() == before


def test_an_existing_output_survives_a_failed_render(tmp_path):
    make_set(tmp_path, "broken", "1", None, {"report.md.j2": "{{ r.nope }}\n"})
    out = tmp_path / "keep.md"
    out.write_text("上一次的报告", encoding="utf-8")
    with pytest.raises(PerfrulesError):
        report_file(SEED, out, template="broken@1", template_dirs=[tmp_path])
    assert out.read_text(encoding="utf-8") == "上一次的报告"


def test_missing_cjk_font_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(render, "cjk_font_available", lambda: False)
    with pytest.raises(PerfrulesError) as info:
        report_file(SEED, tmp_path / "x.pdf")
    assert info.value.first.code == "E-FONT" and "fonts-noto-cjk" in info.value.first.hint
    assert not (tmp_path / "x.pdf").exists()


def test_report_cli_and_templates_list(runner, tmp_path):
    out = tmp_path / "r.html"
    result = runner.invoke(main, ["report", str(SEED), "-o", str(out)])
    assert result.exit_code == 0 and "已生成" in result.output and out.exists()
    bad = runner.invoke(main, ["report", str(SEED), "-o", str(tmp_path / "r.txt")])
    assert bad.exit_code == 1 and ".md、.html、.pdf 或 .docx" in bad.output
    unknown = runner.invoke(main, ["report", str(SEED), "-o", str(out), "--template", "unit-overal@1"])
    assert unknown.exit_code == 1 and "是否想写 'unit-overall@1'" in unknown.output
    listed = runner.invoke(main, ["templates", "list"]).output
    assert "unit-overall@1" in listed and "project@1" in listed and "md html pdf docx" in listed
