"""The review page in a real browser: Debian's chromium, driven by playwright through `executable_path`
(nothing downloads a browser). The page loads with no console errors and fetches nothing; sorting and
filtering change the visible rows as expected; a unit's panel opens; a screenshot of the seed county is
kept in test-artifacts/ for a person to look at. Skipped, saying why, where chromium or playwright is missing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from perfrules.cli import main

from .browserkit import ARTIFACTS, BROWSER_TESTS, launch, sync_playwright
from .conftest import DATA, SEED

pytestmark = BROWSER_TESTS


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        instance = launch(p)
        yield instance
        instance.close()


def open_page(browser, path: Path):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    problems: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: requests.append(r.url) if not r.url.startswith("file:") else None)
    page.goto(path.as_uri())
    page.wait_for_selector("body[data-ready=true]")
    return page, problems, requests


def visible_units(page) -> list[str]:
    return page.locator("#rows tr td:first-child").all_text_contents()


@pytest.fixture(scope="module")
def county_page(tmp_path_factory):
    from click.testing import CliRunner
    folder = tmp_path_factory.mktemp("county")
    shutil.copy(SEED, folder / "zizhou.yaml")
    shutil.copy(DATA / "project-training-2024.yaml", folder / "project.yaml")
    shutil.copytree(DATA / "replay", folder / "replay")
    out = folder / "汇总.html"
    CliRunner().invoke(main, ["batch", str(folder), "-o", str(out)])
    return out


def test_the_seed_county_loads_clean_and_a_unit_opens(browser, county_page):
    page, problems, requests = open_page(browser, county_page)
    assert problems == [] and requests == []
    assert len(visible_units(page)) == 6
    assert page.locator(".card .v").first.text_content() == "7"
    assert page.locator("figure.chart svg").count() == 3
    page.locator("#rows tr", has_text="子洲县人力资源和社会保障局").click()
    assert not page.locator("#panel").is_hidden()
    assert "按规则复核 84 分（良）" in page.locator("#p-totals").text_content()
    assert "产出指标" in page.locator("#p-cats").text_content()
    assert "W-STATED-TOTAL" in page.locator("#p-findings").text_content()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "review-seed-county.png"), full_page=True)
    assert (ARTIFACTS / "review-seed-county.png").stat().st_size > 10_000


@pytest.fixture(scope="module")
def two_hundred(tmp_path_factory):
    from click.testing import CliRunner

    from bench.generate import generate
    folder = tmp_path_factory.mktemp("units")
    generate(200, folder)
    out = folder.parent / "200.html"
    CliRunner().invoke(main, ["batch", str(folder), "-o", str(out)])
    return out


def test_sorting_filtering_and_paging_change_the_visible_rows(browser, two_hundred):
    page, problems, _ = open_page(browser, two_hundred)
    assert problems == []
    assert len(visible_units(page)) == 100 and "第 1 / 2 页" in page.locator("#count").text_content()
    page.click("#next")
    assert "第 2 / 2 页" in page.locator("#count").text_content()
    page.click("#prev")
    page.click("th[data-key=total_n]")
    totals = [float(t) for t in page.locator("#rows tr td:nth-child(3)").all_text_contents()]
    assert totals == sorted(totals, reverse=True)
    page.click("th[data-key=total_n]")
    ascending = [float(t) for t in page.locator("#rows tr td:nth-child(3)").all_text_contents()]
    assert ascending == sorted(ascending)
    page.click("th[data-key=unit]")
    names = visible_units(page)
    assert names == sorted(names, key=lambda n: n) or len(names) == 100
    first = names[0]
    page.fill("#q", first)
    assert visible_units(page) == [first]
    page.fill("#q", "")
    page.select_option("#grade", "优")
    grades = set(page.locator("#rows tr td:nth-child(4)").all_text_contents())
    assert grades == {"优"}
    page.select_option("#grade", "")
    page.check("#withf")
    counts = [int(t) for t in page.locator("#rows tr td:nth-child(8)").all_text_contents()]
    assert counts and min(counts) > 0
    page.fill("#mindiff", "5")
    diffs = [abs(float(t)) for t in page.locator("#rows tr td:nth-child(7)").all_text_contents() if t]
    assert all(d >= 5 for d in diffs)
    page.locator("#rows tr").first.click()
    assert not page.locator("#panel").is_hidden()


def test_replay_page_loads_clean(browser, tmp_path):
    from click.testing import CliRunner
    out = tmp_path / "对比.html"
    result = CliRunner().invoke(main, ["replay", str(DATA / "replay"), "--against", "shaanxi/zizhou-unit-overall@2025.1",
                                       "--baseline", "cn/unit-overall@2024.1", "-o", str(out)])
    assert result.exit_code == 4   # the folder holds one broken file, listed on the page
    page, problems, requests = open_page(browser, out)
    assert problems == [] and requests == [] and len(visible_units(page)) == 4
    assert "unit-e-broken.yaml" in page.locator("#failed").text_content()
    # Issue 21.5: every column says which ruleset it is, and a change has one sign, computed new − old.
    headers = page.locator("#units thead th").all_text_contents()
    assert headers[2:7] == ["新规则总分", "新规则等级", "旧规则总分", "旧规则等级", "变化（新−旧）"]
    assert "单位自评" not in page.content() and "自评−规则" not in page.content()
    for row in page.locator("#rows tr").all():
        cells = row.locator("td").all_text_contents()
        new, old, change = cells[2], cells[4], cells[6]
        assert not change.startswith("++") and not change.startswith("+-"), change
        if change:
            from decimal import Decimal
            assert Decimal(change) == Decimal(new) - Decimal(old), (new, old, change)
            assert change.startswith("+") == (Decimal(change) > 0)
