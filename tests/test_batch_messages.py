"""Batch messages (issue 21 item 9): Office files known by their content, not their name; an empty file is
empty, not damaged; the CLI gives the same hint as the web; the review page counts units, not files, and
lists duplicate submissions."""

from __future__ import annotations

import json
import re
import shutil
from decimal import Decimal

import pytest
from click.testing import CliRunner

from perfrules.cli import main
from perfrules.engine.api import score_file
from perfrules.engine.errors import PerfrulesError
from perfrules.engine.formats.xlsx_form import write_workbook
from perfrules.engine.yamlio import load_file

from .conftest import SEED


@pytest.fixture
def workbook_bytes():
    return write_workbook(load_file(SEED).data)


@pytest.mark.parametrize("name", ["自评表.xls", "自评表.et", "自评表", "自评表.yaml"])
def test_a_workbook_is_read_whatever_its_name(tmp_path, workbook_bytes, name):
    path = tmp_path / name
    path.write_bytes(workbook_bytes)
    assert score_file(path).total == score_file(SEED).total


@pytest.mark.parametrize("name", ["空.xlsx", "空.docx", "空.xls", "空.yaml"])
def test_an_empty_file_is_said_to_be_empty(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"")
    with pytest.raises(PerfrulesError) as info:
        score_file(path)
    assert info.value.first.code == "E-EMPTY" and "空" in info.value.first.message
    assert "损坏" not in info.value.first.message


def test_text_named_xls_is_refused_with_the_save_as_hint(tmp_path):
    path = tmp_path / "导出.xls"
    path.write_text("单位,得分\n甲,90\n", encoding="utf-8")
    with pytest.raises(PerfrulesError) as info:
        score_file(path)
    assert info.value.first.code == "E-FORMAT" and "另存为 .xlsx" in info.value.first.hint


def test_batch_text_gives_the_hint_for_each_failed_file(tmp_path):
    folder = tmp_path / "units"
    folder.mkdir()
    (folder / "旧.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)
    shutil.copy(SEED, folder / "seed.yaml")
    result = CliRunner().invoke(main, ["batch", str(folder), "-o", str(tmp_path / "汇总.csv")])
    assert "旧.xls" in result.output and "提示：用 Excel、WPS 或 LibreOffice 打开，取消密码后另存为 .xlsx" in result.output


def test_the_review_page_counts_units_and_lists_duplicates(tmp_path):
    folder = tmp_path / "units"
    folder.mkdir()
    shutil.copy(SEED, folder / "a.yaml")
    shutil.copy(SEED, folder / "a-again.yaml")   # the same unit, year and kind twice
    (folder / "b.yaml").write_text(SEED.read_text(encoding="utf-8").replace(
        "unit: 子洲县人力资源和社会保障局", "unit: 另一单位", 1), encoding="utf-8")
    out = tmp_path / "汇总.html"
    CliRunner().invoke(main, ["batch", str(folder), "-o", str(out)])
    html = out.read_text(encoding="utf-8")
    cards = dict((k, v) for v, k in re.findall(r'<div class="v">([^<]*)</div><div class="k">([^<]*)</div>', html))
    assert cards["单位"] == "2" and cards["文件"] == "3" and cards["重复提交"] == "1"
    data = json.loads(re.search(r'<script type="application/json" id="data">(.*?)</script>', html, re.S).group(1))
    assert data["duplicates"] == [["子洲县人力资源和社会保障局", "2024", "部门整体", ["a-again.yaml", "a.yaml"]]] or \
        data["duplicates"] == [["子洲县人力资源和社会保障局", "2024", "部门整体", ["a.yaml", "a-again.yaml"]]]


def test_the_review_page_of_units_without_a_stated_total_is_written():
    """No unit states a total: the scatter has no dot to draw, and the page is written all the same (a
    sampling step of zero once raised here, and the live review page of a round answered 500)."""
    from perfrules.engine.review import page
    unit = ["甲单位", "a.yaml", "部门整体", "84", Decimal("84"), "良", "", None, "", "", None, 0, 0, [], [], "cn/x@1"]
    html = page("汇总", [unit], [], [], ["优", "良"])
    assert "甲单位" in html and 'id="data"' in html
