"""The county workbook prints (issue 21 item 6): every sheet A4 landscape, one page wide, its header row on
every page; each chart whole on a page of its own; the scatter's markers drawn explicitly so that
LibreOffice shows them. Rendered through LibreOffice and read back."""

from __future__ import annotations

import shutil
from pathlib import Path

import pdfplumber
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from bench.generate import generate
from perfrules.cli import main

from .conftest import SEED, soffice


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    folder = tmp_path_factory.mktemp("county")
    generate(80, folder / "units", seed=5)
    shutil.copy(SEED, folder / "units" / "zizhou.yaml")
    out = folder / "汇总.xlsx"
    CliRunner().invoke(main, ["batch", str(folder / "units"), "-o", str(out)])
    return out


def test_every_sheet_prints_a4_landscape_one_page_wide_with_its_header(county):
    wb = load_workbook(county)
    charts = {"等级分布图", "总分对照图"}
    assert charts <= set(wb.sheetnames)
    for ws in wb.worksheets:
        setup = ws.page_setup
        assert setup.orientation == "landscape" and str(setup.paperSize) == "9", ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage and setup.fitToWidth == 1, ws.title
        if ws.title in charts:
            assert setup.fitToHeight == 1 and len(ws._charts) == 1 and ws.print_area, ws.title
        else:
            assert setup.fitToHeight == 0 and ws.print_title_rows == "$1:$1", ws.title
            assert not ws._charts, ws.title   # no chart over the data, to be cut by a page break


def test_the_scatter_draws_its_markers_explicitly(county):
    ws = load_workbook(county)["总分对照图"]
    series = ws._charts[0].series[0]
    assert series.marker.symbol == "circle" and series.marker.size
    assert series.marker.spPr.solidFill is not None and series.spPr.ln.noFill


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_prints_every_page_landscape_and_the_charts_whole(county, tmp_path):
    soffice(tmp_path, "pdf", county)
    with pdfplumber.open(str(tmp_path / (county.stem + ".pdf"))) as pdf:
        pages = list(pdf.pages)
        assert all(p.width > p.height for p in pages)
        texts = [p.extract_text() or "" for p in pages]
        # Data pages: each starts with its sheet's header row (repeated), and nothing is cut to a second column page.
        assert texts[1].startswith("单位 年度 类型") or any(t.startswith("单位 年度 类型") for t in texts[:2])
        assert sum(t.startswith("单位 级别 代码 说明") for t in texts) >= 2   # 问题清单 over several pages, header on each
        # The two charts: the last two pages, one each, whole; the scatter with a marker per unit.
        bar, scatter = pages[-2], pages[-1]
        assert "等级分布" in texts[-2] and "自报总分与规则总分" in texts[-1]
        assert len(scatter.curves) + len(scatter.rects) >= 60
