"""perfrules serve in a real browser (Debian's chromium through playwright's executable_path; nothing
downloads a browser), against the real server (waitress on a free loopback port):

- the bureau opens a round, adds units from a list, returns one submission, reviews another, exports;
- a unit logs in, downloads its form, uploads the filled form, sees a finding with the cell it points to,
  fixes it, submits, and downloads its report.

Pages must load with no console errors and fetch nothing from elsewhere. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import io
import re
import threading
import zipfile

import pytest

from .browserkit import ARTIFACTS, BROWSER_TESTS, launch, sync_playwright
from .servekit import ROUND_RULESET, clean_for, seed_for

pytestmark = BROWSER_TESTS


def _xlsx(yaml_bytes: bytes) -> bytes:
    """A filled 自评表, as a unit would have it: the submission written into the official workbook."""
    import yaml

    from perfrules.engine.convert import categories_of
    from perfrules.engine.formats.xlsx_form import write_workbook
    from perfrules.web.work import ruleset
    data = yaml.safe_load(yaml_bytes.decode("utf-8"))
    return write_workbook(_plain(data), categories=categories_of(ruleset(ROUND_RULESET)), ruleset_ref=ROUND_RULESET)


def _plain(value):
    import datetime as dt
    from decimal import Decimal
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from waitress import create_server

    from perfrules.web.app import create_app, ensure_first_account
    folder = tmp_path_factory.mktemp("serve")
    app = create_app(folder / "data")
    password = ensure_first_account(app)
    srv = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{srv.effective_port}", "password": password, "folder": folder}
    srv.close()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        instance = launch(p)
        yield instance
        instance.close()


class Watched:
    def __init__(self, browser, base: str):
        self.context = browser.new_context(viewport={"width": 1300, "height": 900}, accept_downloads=True)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.elsewhere: list[str] = []
        self.page.on("console", lambda m: self.problems.append(m.text) if m.type in ("error", "warning") else None)
        self.page.on("pageerror", lambda e: self.problems.append(str(e)))
        self.page.on("request", lambda r: self.elsewhere.append(r.url) if not r.url.startswith(base) else None)
        self.base = base

    def login(self, username: str, password: str) -> None:
        self.page.goto(self.base + "/login")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", password)
        self.page.click("button[type=submit]")

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / name), full_page=True)

    def close(self) -> None:
        assert self.problems == [], self.problems
        assert self.elsewhere == [], self.elsewhere
        self.context.close()


def test_bureau_and_unit_paths(server, browser, tmp_path):
    base = server["url"]
    bureau = Watched(browser, base)
    bureau.login("admin", server["password"])
    assert bureau.page.url.endswith("/rounds")

    # Open a round.
    form = bureau.page.locator("#new-round")
    form.locator("input[name=title]").fill("2024 年度部门整体支出绩效自评")
    form.locator("input[name=year]").fill("2024")
    form.locator("select[name=ruleset]").select_option(ROUND_RULESET)
    form.locator("input[name=deadline]").fill("2025-03-31")
    form.locator("button").click()
    assert re.search(r"/rounds/\d+$", bureau.page.url)
    round_url = bureau.page.url

    # Add units from a list.
    listing = tmp_path / "名单.csv"
    listing.write_text("单位名称,地区,联系人\n甲单位,子洲县,张三\n乙单位,子洲县,李四\n", encoding="utf-8-sig")
    bureau.page.set_input_files("#import-units input[type=file]", str(listing))
    bureau.page.click("#import-units button")
    accounts = {r[0]: (r[1], r[2]) for r in (row.locator("td").all_text_contents()
                                               for row in bureau.page.locator("#accounts tbody tr").all())}
    assert set(accounts) == {"甲单位", "乙单位"}
    bureau.shot("serve-accounts.png")

    # Each unit: download the form, upload the filled form, see a finding and where it is, fix, submit.
    for name in ("甲单位", "乙单位"):
        unit = Watched(browser, base)
        unit.login(*accounts[name])
        assert unit.page.url.endswith("/my")
        unit.page.click("text=填报与结果")
        with unit.page.expect_download() as download:
            unit.page.click("text=下载本轮自评表（.xlsx）")
        blank = download.value.path().read_bytes()
        assert name in _cell_values(blank)
        filled = tmp_path / f"{name}-自评表.xlsx"
        filled.write_bytes(_xlsx(seed_for(name)))
        unit.page.set_input_files("#upload input[type=file]", str(filled))
        unit.page.click("#upload button")
        assert unit.page.locator("#status").text_content() == "有错误"
        first_error = unit.page.locator("#findings tr.sev-错误").first.locator("td").all_text_contents()
        assert re.fullmatch(r"[^!]+![A-Z]+\d+", first_error[1]), first_error   # the cell it points to: 自评结论!B6
        assert unit.page.locator("#submit").count() == 0
        if name == "甲单位":
            unit.shot("serve-unit-finding.png")
        fixed = tmp_path / f"{name}-自评表-改.xlsx"
        fixed.write_bytes(_xlsx(clean_for(name)))
        unit.page.set_input_files("#upload input[type=file]", str(fixed))
        unit.page.click("#upload button")
        assert unit.page.locator("#status").text_content() == "待送审"
        unit.page.click("#submit button")
        assert "送审后不能再上传" in unit.page.locator("#confirm-step").text_content()   # a step of its own
        unit.page.click("#confirm button")
        assert unit.page.locator("#status").text_content() == "已送审"
        with unit.page.expect_download() as download:
            unit.page.click("text=评价报告（Word）")
        assert download.value.path().read_bytes()[:2] == b"PK"
        if name == "甲单位":
            unit.shot("serve-unit-submitted.png")
        unit.close()

    # The bureau: progress, return one with a comment, review the other, export.
    bureau.page.goto(round_url)
    assert "已送审 2" in bureau.page.locator("#counts").text_content().replace("\n", " ").replace("  ", " ")
    bureau.page.click("#entries >> text=甲单位")
    bureau.page.fill("#return textarea", "满意度调查请附样本量")
    bureau.page.click("#return button")
    assert "满意度调查请附样本量" in bureau.page.locator("#confirm-step").text_content()
    bureau.page.click("#confirm button")
    assert bureau.page.locator("#status").text_content() == "已退回"
    bureau.page.goto(round_url)
    bureau.page.click("#entries >> text=乙单位")
    bureau.page.click("#mark-reviewed button")
    bureau.page.click("#confirm button")
    assert bureau.page.locator("#status").text_content() == "已复核"
    bureau.page.goto(round_url)
    counts = bureau.page.locator("#counts").text_content()
    assert re.search(r"已退回\s*1", counts) and re.search(r"已复核\s*1", counts)
    bureau.shot("serve-round.png")
    with bureau.page.expect_download() as download:
        bureau.page.click("text=导出汇总表与全部报告（.zip）")
    names = zipfile.ZipFile(io.BytesIO(download.value.path().read_bytes())).namelist()
    assert "县级汇总.xlsx" in names and "评价报告/甲单位.docx" in names

    # The county review page, live, in the browser: its one script runs under the server's CSP.
    bureau.page.goto(round_url + "/review")
    bureau.page.wait_for_selector("body[data-ready=true]")
    assert "甲单位" in bureau.page.locator("#rows").text_content()
    bureau.shot("serve-review.png")
    bureau.page.click("text=← 返回轮次")
    assert bureau.page.url == round_url
    bureau.close()

    # The unit whose submission was returned sees the comment.
    unit = Watched(browser, base)
    unit.login(*accounts["甲单位"])
    unit.page.click("text=填报与结果")
    assert "满意度调查请附样本量" in unit.page.locator("#comment").text_content()
    unit.close()


def _cell_values(xlsx: bytes) -> set[str]:
    from openpyxl import load_workbook
    wb = load_workbook(io.BytesIO(xlsx))
    return {str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None}


def test_bureau_publishes_a_new_standard_and_a_unit_reads_it(server, browser, tmp_path):
    """Issue 24: 评分标准 → upload a workbook → preview (check, rules, the round replayed) → publish, confirmed;
    then a unit opens its round's standard and downloads the workbook."""
    from .test_serve_standards import _workbook
    base = server["url"]
    bureau = Watched(browser, base)
    bureau.login("admin", server["password"])
    form = bureau.page.locator("#new-round")
    form.locator("input[name=title]").fill("2025 年度部门整体支出绩效自评（标准试行）")
    form.locator("input[name=year]").fill("2025")
    form.locator("select[name=ruleset]").select_option(ROUND_RULESET)
    form.locator("button").click()
    round_url = bureau.page.url
    listing = tmp_path / "名单.csv"
    listing.write_text("单位名称,地区,联系人\n丙单位,子洲县,王五\n", encoding="utf-8-sig")
    bureau.page.set_input_files("#import-units input[type=file]", str(listing))
    bureau.page.click("#import-units button")
    account = bureau.page.locator("#accounts tbody tr").first.locator("td").all_text_contents()

    unit = Watched(browser, base)
    unit.login(account[1], account[2])
    unit.page.click("text=填报与结果")
    upload = tmp_path / "丙.yaml"
    upload.write_bytes(clean_for("丙单位"))
    unit.page.set_input_files("#upload input[type=file]", str(upload))
    unit.page.click("#upload button")
    entry_url = unit.page.url.split("#")[0]

    bureau.page.click("header >> text=评分标准")
    book = tmp_path / "子洲县评分标准.xlsx"
    book.write_bytes(_workbook(tmp_path, {"指标体系": {"产出指标": 40, "效益指标": 40}}, version="2026.2"))
    bureau.page.set_input_files("#upload-standard input[type=file]", str(book))
    bureau.page.click("#upload-standard button")
    assert "草稿" in bureau.page.locator("p.meta").first.text_content()
    assert "通过 rulesets check" in bureau.page.locator("#check").text_content()
    choice = next(o for o in bureau.page.locator("#choose-round option").all_text_contents() if "标准试行" in o)
    bureau.page.select_option("#choose-round select", label=choice)
    bureau.page.click("#choose-round button")
    assert "按新标准评分 1 份" in bureau.page.locator("#replay-summary").text_content()
    assert bureau.page.locator("#diff tbody tr").count() >= 2
    bureau.shot("serve-standard-preview.png")
    preview = bureau.page.url
    bureau.page.click("#publish button")        # not confirmed: the browser does not send it
    assert bureau.page.url == preview
    bureau.page.check("#publish input[name=confirm]")
    bureau.page.click("#publish button")
    assert bureau.page.url == round_url
    assert "shaanxi/web-test@2026.2" in bureau.page.locator("p.meta").first.text_content()
    bureau.page.goto(base + "/audit")
    assert "发布到本轮" in bureau.page.locator("body").text_content()
    bureau.close()

    unit.page.goto(entry_url)
    unit.page.click("text=本轮评分标准")
    assert "shaanxi/web-test@2026.2" in unit.page.locator("p.meta").text_content()
    rules = unit.page.locator("#rules").text_content()
    assert "产出指标" in rules and "40" in rules
    unit.shot("serve-unit-standard.png")
    with unit.page.expect_download() as download:
        unit.page.click("text=下载评分标准工作簿（.xlsx）")
    assert download.value.path().read_bytes()[:2] == b"PK"
    unit.close()


def test_a_bureau_runs_a_round_without_mistakes(server, browser, tmp_path):
    """Issue 25 in the browser: the default ruleset and why; search; a unit's own deadline; bulk review of
    the ticked units through its confirmation; closing asks first and a closed round reopens; the audit log
    in Chinese, filtered."""
    base = server["url"]
    bureau = Watched(browser, base)
    bureau.login("admin", server["password"])
    form = bureau.page.locator("#new-round")
    form.locator("input[name=title]").fill("2024 年度部门整体（批量）")
    form.locator("input[name=year]").fill("2024")
    form.locator("button").click()   # the ruleset left at 按类型和年度自动选用
    assert "自动选用" in bureau.page.locator("#ruleset-note").text_content()
    round_url = bureau.page.url
    listing = tmp_path / "名单.csv"
    listing.write_text("单位名称,地区,联系人\n" + "".join(f"批量{i}单位,子洲县,张三\n" for i in range(3)), encoding="utf-8-sig")
    bureau.page.set_input_files("#import-units input[type=file]", str(listing))
    bureau.page.click("#import-units button")
    accounts = [row.locator("td").all_text_contents() for row in bureau.page.locator("#accounts tbody tr").all()]
    for name, username, password in accounts[:2]:
        unit = Watched(browser, base)
        unit.login(username, password)
        unit.page.click("text=填报与结果")
        upload = tmp_path / f"{name}.yaml"
        upload.write_bytes(clean_for(name))
        unit.page.set_input_files("#upload input[type=file]", str(upload))
        unit.page.click("#upload button")
        unit.page.click("#submit button")
        unit.page.click("#confirm button")
        assert unit.page.locator("#status").text_content() == "已送审"
        unit.close()

    bureau.page.goto(round_url)
    bureau.page.fill("#search input[name=q]", "批量2")
    bureau.page.click("#search button")
    assert bureau.page.locator("#entries tbody tr").count() == 1
    bureau.page.click("#entries >> text=批量2单位")
    bureau.page.fill("#unit-deadline input[name=deadline]", "2025-06-30")
    bureau.page.click("#unit-deadline button")
    assert "2025年6月30日（本单位延期）" in bureau.page.locator("p.meta").first.text_content()

    bureau.page.goto(round_url + "?status=submitted")
    for box in bureau.page.locator("#entries input[name=eid]").all():
        box.check()
    bureau.page.click("#bulk button[value=review]")
    assert "将 2 个已送审的单位标记为已复核" in bureau.page.locator("#confirm-step").text_content()
    bureau.shot("serve-bulk-confirm.png")
    bureau.page.click("#confirm button")
    assert re.search(r"已复核\s*2", bureau.page.locator("#counts").text_content())

    bureau.page.click("#close button")
    assert "需要时可以重新开放本轮" in bureau.page.locator("#confirm-step").text_content()
    bureau.page.click("#confirm button")
    assert bureau.page.locator("#reopen").count() == 1
    bureau.page.click("#reopen button")
    bureau.page.click("#confirm button")
    assert bureau.page.locator("#close").count() == 1

    bureau.page.goto(base + "/audit")
    bureau.page.select_option("#audit-filter select[name=action]", label="复核")
    bureau.page.click("#audit-filter button")
    rows = bureau.page.locator("#audit tbody tr").all_text_contents()
    assert len(rows) >= 2 and all("复核" in r for r in rows)
    bureau.shot("serve-audit.png")
    bureau.close()
