"""Nothing lost, nothing disclosed (issue 22, items 1-3, 7, 8, 10): one rule for every command that writes,
templates confined to their folder, a login that sends nobody elsewhere and takes the same time for any
name, throttling that a flood of made-up names cannot turn against a real account."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from perfrules.cli import main

from .conftest import DATA, SEED


def run(*args: str):
    return CliRunner().invoke(main, list(args))


# ------------------------------------------------------------------------------------------ item 1

def test_replay_never_writes_onto_a_file_it_reads(tmp_path):
    folder = tmp_path / "u"
    shutil.copytree(DATA / "replay", folder)
    before = (folder / "unit-a.yaml").read_bytes()
    result = run("replay", str(folder), "--against", "shaanxi/zizhou-unit-overall@2025.1", "-o", str(folder / "unit-a.yaml"))
    assert result.exit_code == 1 and "输入" in result.output
    assert (folder / "unit-a.yaml").read_bytes() == before


def test_init_never_replaces_a_filled_form_without_force(tmp_path):
    form = tmp_path / "filled.xlsx"
    assert run("init", "-o", str(form)).exit_code == 0
    from openpyxl import load_workbook
    wb = load_workbook(form)
    wb["基本信息"]["B3"] = "我的单位"   # the unit fills it in
    wb.save(form)
    filled = form.read_bytes()
    result = run("init", "-o", str(form))
    assert result.exit_code == 1 and "已存在" in result.output and "--force" in result.output
    assert form.read_bytes() == filled
    assert run("init", "-o", str(form), "--force").exit_code == 0 and form.read_bytes() != filled


@pytest.mark.parametrize("command", [
    ["report", str(SEED)], ["convert", str(SEED)], ["init"],
])
def test_an_output_perfrules_wrote_and_nobody_changed_may_be_written_again(tmp_path, command):
    suffix = ".xlsx" if command[0] in ("init", "convert") else ".md"
    out = tmp_path / f"out{suffix}"
    assert run(*command, "-o", str(out)).exit_code == 0
    assert run(*command, "-o", str(out)).exit_code == 0, "rewriting our own unchanged output needs no --force"
    with open(out, "ab") as handle:
        handle.write(b"\n")   # a change of the user's: now it is theirs
    result = run(*command, "-o", str(out))
    assert result.exit_code == 1 and "已存在" in result.output


def test_every_writing_command_refuses_an_existing_file_of_the_users(tmp_path):
    mine = tmp_path / "mine.yaml"
    mine.write_text("我的笔记\n", encoding="utf-8")
    cases = [
        ["report", str(SEED), "-o", str(tmp_path / "mine.md")],
        ["convert", str(SEED), "-o", str(mine)],
        ["batch", str(DATA / "replay"), "-o", str(tmp_path / "mine.csv")],
        ["replay", str(DATA / "replay"), "--against", "cn/unit-overall@2024.1", "-o", str(tmp_path / "mine.json")],
    ]
    for path in (tmp_path / "mine.md", tmp_path / "mine.csv", tmp_path / "mine.json"):
        path.write_text("我的笔记\n", encoding="utf-8")
    for args in cases:
        target = Path(args[args.index("-o") + 1])
        result = run(*args)
        assert result.exit_code == 1 and "已存在" in result.output, (args, result.output)
        assert target.read_text(encoding="utf-8") == "我的笔记\n"


# ------------------------------------------------------------------------------------------ item 2

@pytest.mark.parametrize("member", ["report.md.j2", "report.html.j2", "template.yaml", "report.docx"])
def test_a_template_file_linked_outside_its_folder_is_refused(tmp_path, member):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-LINE\n", encoding="utf-8")
    root = tmp_path / "tpl"
    shutil.copytree(Path(__file__).resolve().parent.parent / "templates" / "unit-overall", root / "unit-overall")
    target = root / "unit-overall" / "1" / member
    target.unlink()
    target.symlink_to(secret)
    for fmt in ("md", "html", "docx"):
        out = tmp_path / f"r.{fmt}"
        result = run("report", str(SEED), "-o", str(out), "--templates", str(root), "--template", "unit-overall@1")
        assert "TOP-SECRET-LINE" not in result.output
        if out.exists():
            assert b"TOP-SECRET-LINE" not in out.read_bytes()
            out.unlink()


def test_an_html_template_cannot_fetch_a_local_file_into_the_pdf(tmp_path):
    root = tmp_path / "tpl"
    shutil.copytree(Path(__file__).resolve().parent.parent / "templates" / "unit-overall", root / "unit-overall")
    html = root / "unit-overall" / "1" / "report.html.j2"
    html.write_text(html.read_text(encoding="utf-8").replace(
        "<body>", '<body><link rel="stylesheet" href="file:///etc/passwd"><img src="/etc/hostname">', 1), encoding="utf-8")
    fetched = []
    from perfrules.engine import render
    allowed = render.confined_url
    render.confined_url = lambda url, roots: fetched.append(url) or allowed(url, roots)
    try:
        out = tmp_path / "r.pdf"
        run("report", str(SEED), "-o", str(out), "--templates", str(root), "--template", "unit-overall@1")
    finally:
        render.confined_url = allowed
    assert any("passwd" in u for u in fetched)
    assert allowed("file:///etc/passwd", [root]) is False and allowed("http://example.org/x.png", [root]) is False
    assert allowed((root / "unit-overall" / "1" / "x.png").as_uri(), [root]) is True


# ------------------------------------------------------------------------------------------ item 7

def test_import_refuses_a_fifo_at_once(tmp_path):
    fifo = tmp_path / "report.docx"
    os.mkfifo(fifo)
    started = time.monotonic()
    result = run("import", str(fifo), "-o", str(tmp_path / "x.yaml"))
    assert result.exit_code == 1 and "不是普通文件" in result.output
    assert time.monotonic() - started < 5


def test_an_unreadable_input_is_exit_1_not_usage(tmp_path):
    result = run("score", str(tmp_path / "missing.yaml"))
    assert result.exit_code == 1
    result = run("import", str(tmp_path / "missing.docx"), "-o", str(tmp_path / "x.yaml"))
    assert result.exit_code == 1


# ------------------------------------------------------------------------------------------ items 3, 8

from .servekit import DATABASES, csrf_of, login, make_app  # noqa: E402


@pytest.fixture
def app_admin(tmp_path):
    app, password = make_app(tmp_path, DATABASES[0])
    yield app, password
    app.extensions["perfrules"]["engine"].dispose()


@pytest.mark.parametrize("target", ["/%09/evil.example/x", "//evil.example/x", "/\\evil.example", "https://evil.example/",
                                    "/rounds/../../evil", "/no-such-page", "/%2F%2Fevil.example"])
def test_after_login_nobody_is_sent_off_the_server(app_admin, target):
    app, password = app_admin
    c = app.test_client()
    from urllib.parse import unquote
    shown = c.get("/login", query_string={"next": unquote(target)})
    assert shown.status_code in (200, 400) and "evil" not in shown.text
    page = c.get("/login")
    resp = c.post("/login", data={"username": "admin", "password": password, "next": unquote(target),
                                  "csrf": csrf_of(page.text)})
    location = resp.headers.get("Location", "")
    assert resp.status_code in (302, 400), resp.status_code
    assert "evil" not in location and not location.startswith("//")
    if resp.status_code == 302:
        assert location.endswith("/rounds") or location.endswith("/"), location


def test_a_page_of_the_app_is_returned_to(app_admin):
    app, password = app_admin
    c = app.test_client()
    page = c.get("/login?next=/rounds")
    resp = c.post("/login", data={"username": "admin", "password": password, "next": "/rounds", "csrf": csrf_of(page.text)})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/rounds")


@pytest.mark.parametrize("target", ["/rounds\r\nSet-Cookie: x=1", "/rounds\nX: y", "/\x00"])
def test_a_control_character_in_next_is_400(app_admin, target):
    app, password = app_admin
    c = app.test_client()
    assert c.get("/login", query_string={"next": target}).status_code == 400
    page = c.get("/login")
    resp = c.post("/login", data={"username": "admin", "password": password, "next": target, "csrf": csrf_of(page.text)})
    assert resp.status_code == 400


def test_an_unknown_name_costs_what_a_wrong_password_costs(app_admin, monkeypatch):
    app, _ = app_admin
    from perfrules.web import security
    calls = []
    real = security.verify_password
    monkeypatch.setattr(security, "verify_password", lambda stored, password: calls.append(stored) or real(stored, password))
    c = app.test_client()
    login(c, "admin", "wrong", expect=401)
    login(c, "no-such-user", "wrong", expect=401)
    assert len(calls) == 2 and calls[1] is None   # the dummy hash was checked for the unknown name


def test_made_up_names_never_lock_out_a_real_account(app_admin):
    app, password = app_admin
    c = app.test_client()
    codes = []
    for i in range(40):
        page = c.get("/login")
        codes.append(c.post("/login", data={"username": f"made-up-{i}", "password": "x",
                                            "csrf": csrf_of(page.text)}).status_code)
    assert codes[:30] == [401] * 30 and 429 in codes[30:]   # the address is slowed for unknown names
    login(c, "admin", password)   # but the admin logs in from the same address at once
    assert c.get("/rounds").status_code == 200


def test_throttling_backs_off_instead_of_a_wall():
    from perfrules.web.security import Throttle
    t = Throttle(per_account=3, per_address=30, window=900, base=2.0)
    for _ in range(3):
        t.failed("admin", "1.2.3.4")
    first = t.blocked_for("admin", "1.2.3.4")
    t.failed("admin", "1.2.3.4")
    second = t.blocked_for("admin", "1.2.3.4")
    assert 0 < first <= 3 and first < second <= 5
    assert t.blocked_for("other", "1.2.3.4") == 0   # another account from the same address is not delayed


# ------------------------------------------------------------------------------------------ item 10

def test_a_gbk_file_name_is_read_not_called_a_stale_form(tmp_path):
    from .servekit import as_unit, county, seed_for
    app, password = make_app(tmp_path, DATABASES[0])
    try:
        round_ = county(app, password)
        entry = round_.units["甲单位"]["entry_id"]
        unit = as_unit(round_, "甲单位")
        token = csrf_of(unit.get(f"/entries/{entry}").text)
        body = (f'--B\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{token}\r\n'
                '--B\r\nContent-Disposition: form-data; name="file"; filename="').encode() + "自评表.yaml".encode("gbk") + \
            b'"\r\nContent-Type: application/octet-stream\r\n\r\n' + seed_for("甲单位") + b"\r\n--B--\r\n"
        resp = unit.post(f"/entries/{entry}/upload", data=body, content_type="multipart/form-data; boundary=B")
        assert resp.status_code == 302
        assert "自评表.yaml" in unit.get(f"/entries/{entry}").text
    finally:
        app.extensions["perfrules"]["engine"].dispose()


def test_serve_says_the_port_is_taken_before_making_anything(tmp_path):
    import socket
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run("serve", "--data", str(tmp_path / "data"), "--port", str(port))
    assert result.exit_code == 1 and f"端口 {port} 已被占用" in result.output
    assert not (tmp_path / "data").exists()


def test_uploads_are_spooled_under_the_data_folder_and_cleaned_at_start(tmp_path):
    """Each server process spools under data/tmp in a folder of its own. At start it removes what killed
    processes left (older than any scoring), never the live spool of another process sharing the folder."""
    import os
    import time
    from perfrules.web import work
    leftover = tmp_path / "data" / "tmp" / "4242-old" / "perfrules-upload-old"
    leftover.mkdir(parents=True)
    (leftover / "submission.xlsx").write_bytes(b"left by a kill -9")
    stale = time.time() - work.STALE_SPOOL_SECONDS - 60
    os.utime(leftover.parent, (stale, stale))
    neighbour = tmp_path / "data" / "tmp" / "4343-live"   # another server's, scoring right now
    neighbour.mkdir()
    app, _ = make_app(tmp_path, DATABASES[0])
    try:
        assert not leftover.parent.exists() and neighbour.is_dir()
        with work.as_file(b"x", ".yaml") as path:
            assert path.parent.parent.parent == tmp_path / "data" / "tmp"
            assert path.parent.parent.name.startswith(f"{os.getpid()}-")
    finally:
        app.extensions["perfrules"]["engine"].dispose()


def test_a_missing_rulesets_folder_is_exit_1_not_ignored(tmp_path):
    result = run("score", str(SEED), "--rulesets", str(tmp_path / "nope"))
    assert result.exit_code == 1 and "目录不存在" in result.output
    (tmp_path / "file").write_text("x", encoding="utf-8")
    result = run("score", str(SEED), "--rulesets", str(tmp_path / "file"))
    assert result.exit_code == 1 and "不是目录" in result.output
