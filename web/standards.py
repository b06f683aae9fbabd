"""评分标准 on the web (issue 24): the bureau uploads a new version of its standard (the workbook or YAML),
sees what `rulesets check` says (at the cell), runs its test cases, compares it with the version a round
pins and replays that round's latest submissions under it, all before publishing; publishing to a round is
explicit, confirmed and audited, and the earlier scorings stay. Units see their round's standard as a page
and as the workbook, read-only.

A version is stored in the database with its sha256 and never edited in place. To be read by the engine it
is written out under the data folder: drafts under standards/drafts/ (read by path, never chosen for a
round by itself), published ones under standards/published/, which is on the server's ruleset path.
"""

from __future__ import annotations

import re
from pathlib import Path as FsPath
from typing import Any

from flask import Response, abort, g, redirect, render_template, request, url_for
from sqlalchemy import select

from perfrules.engine.errors import PerfrulesError
from perfrules.engine.limits import MAX_FILE_BYTES, sha256_hex

from . import work
from .common import _download, _ext, _message, access, audit, db, entry_rows, round_or_404, score_round_under
from .db import Entry, Round, Standard, now

PREVIEW_LIMIT = 300   # submissions replayed on the preview page; the round page replays all


def folder(app_data: FsPath, kind: str) -> FsPath:
    return app_data / "standards" / kind


def materialize(data: FsPath, std: Standard, kind: str) -> FsPath:
    """The version's files under the data folder (written when missing or different), and its YAML's path."""
    where = folder(data, kind) / str(std.id)
    where.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{std.ruleset_id}-{std.version}").strip("-") or "standard"
    path = where / f"{name}.yaml"
    for target, text in ((path, std.yaml), (where / f"{name}.test.yaml", std.tests)):
        if text and (not target.is_file() or target.read_text(encoding="utf-8") != text):
            tmp = target.with_suffix(".tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(target)
    return path


def publish_all(app: Any) -> None:
    """At start: every published version written out, so that a round pinned to one finds it."""
    with app.extensions["perfrules"]["Session"]() as session:
        for std in session.scalars(select(Standard).where(Standard.published_at.is_not(None))):
            materialize(app.extensions["perfrules"]["data"], std, "published")


def _dirs() -> tuple[str, ...]:
    return _ext()["dirs"]


def _search() -> list[FsPath]:
    from perfrules.engine.ruleset import search_path
    return search_path(_dirs())


# ------------------------------------------------------------------------------------------ views

@access("bureau")
def standards() -> Any:
    if request.method == "POST":
        return _upload()
    return _list_page(200)


def _list_page(status: int, problems: list[str] | None = None, note: str = "") -> Any:
    from perfrules.engine.ruleset import index
    shipped = sorted(index(_search()), key=lambda e: (e.id, e.version))
    own = db().scalars(select(Standard).order_by(Standard.id.desc())).all()
    return render_template("standards.html", shipped=shipped, own=own, problems=problems or [], note=note), status


def _upload() -> Any:
    file = request.files.get("file")
    if file is None or not file.filename:
        return _message(400, "没有选择文件", "请选择评分标准工作簿（.xlsx）或规则集（.yaml）。")
    name = work.shown_name(file.filename)
    suffix = work.suffix_of(name)
    if suffix not in (".xlsx", ".yaml", ".yml"):
        return _message(400, f"不接受“{suffix or '无扩展名'}”文件", "评分标准请上传工作簿（.xlsx，可用 perfrules rulesets export 生成）或 YAML。")
    raw = file.stream.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        return _message(413, "文件过大", f"评分标准不会超过 {MAX_FILE_BYTES // (1024 * 1024)} MB。")
    try:
        text, tests = _read_standard(raw, name, suffix)
    except PerfrulesError as exc:
        return _list_page(400, [str(d) for d in exc.diagnostics], note=f"“{name}”没有通过检查，未保存：")
    from perfrules.engine.yamlio import load_text
    data = load_text(text, name).data
    ref = f"{data['id']}@{data['version']}"
    if _exists(data["id"], str(data["version"])):
        return _message(409, f"{ref} 已存在", "已发布或已上传的版本不再修改；修订请在“说明”中改用新的版本号后再上传。")
    std = Standard(ruleset_id=data["id"], version=str(data["version"]), title=str(data.get("title") or ""),
                   extends=str(data.get("extends") or ""), sha256=sha256_hex(text.encode("utf-8")), yaml=text,
                   tests=tests or "", filename=name, uploaded_by=g.user.id)
    db().add(std)
    db().flush()
    audit("standard", f"上传评分标准 {ref}（{name}），sha256 {std.sha256[:12]}…")
    db().commit()
    return redirect(url_for("standard_view", sid=std.id))


def _exists(rid: str, version: str) -> bool:
    from perfrules.engine.ruleset import index
    if any(e.id == rid and e.version == version for e in index(_search())):
        return True
    return db().scalar(select(Standard.id).where(Standard.ruleset_id == rid, Standard.version == version)) is not None


def _read_standard(raw: bytes, name: str, suffix: str) -> tuple[str, str | None]:
    """The YAML of an uploaded standard and its tests' YAML, checked as `rulesets check` checks: problems
    raise, at the workbook's cell or the YAML's line."""
    import tempfile
    from perfrules.engine.lint import lint
    from perfrules.engine.ruleset import load_ruleset
    spool = _ext()["data"] / "tmp"
    spool.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=spool) as tmp:
        path = FsPath(tmp) / ("upload" + suffix)
        path.write_bytes(raw)
        if suffix == ".xlsx":
            from perfrules.engine.rulebook.commands import import_rulebook
            text, tests, _warnings = import_rulebook(path, name, _search(), FsPath(tmp) / "x.yaml")
            return text, tests
        text = raw.decode("utf-8", errors="strict") if raw else ""
        rs = load_ruleset(path, _search(), display_name=name)
        errors = [d for d in lint(rs) if d.code != "E-RULESET-TEMPLATE" and not d.code.startswith(("W-", "I-"))]
        if errors:
            raise PerfrulesError(errors)
        return text, None


@access("bureau")
def standard_view(sid: int) -> Any:
    """The preview: check findings, test cases, the rule in words, the diff against a round's pinned version
    and that round's latest submissions replayed under this one."""
    from perfrules.engine.explain import rule_rows
    from perfrules.engine.lint import lint
    from perfrules.engine.ruleset import get_ruleset
    std = _standard_or_404(sid)
    path = materialize(_ext()["data"], std, "published" if std.published_at else "drafts")
    try:
        rs = get_ruleset(str(path), _search())
    except PerfrulesError as exc:
        return _message(409, "这个版本现在无法使用", str(exc.first))
    warnings = [str(d) for d in lint(rs) if d.code.startswith(("W-", "I-"))]
    cases = _run_tests(path) if std.tests else []
    rounds = db().scalars(select(Round).where(Round.closed_at.is_(None)).order_by(Round.id.desc())).all()
    chosen = _chosen_round(rounds, rs)
    changes: list[Any] = []
    replay = None
    if chosen is not None:
        changes, replay = _against(chosen, rs, path)
    from perfrules.engine.diff import SECTIONS
    return render_template("standard.html", std=std, rs=rs, rules=rule_rows(rs), warnings=warnings, cases=cases,
                           rounds=rounds, chosen=chosen, changes=changes, replay=replay, limit=PREVIEW_LIMIT,
                           sections=SECTIONS)


def _standard_or_404(sid: int) -> Standard:
    std = db().get(Standard, sid)
    if std is None:
        abort(404)
    return std


def _chosen_round(rounds: list[Round], rs: Any) -> Round | None:
    wanted = request.args.get("round", type=int)
    if wanted is not None:
        return next((r for r in rounds if r.id == wanted), None)
    kinds = rs.applies_to.get("kinds") or []
    return next((r for r in rounds if not kinds or r.kind in kinds), rounds[0] if rounds else None)


def _run_tests(path: FsPath) -> list[dict[str, Any]]:
    from perfrules.engine.ruletest import run_suite, test_file_for
    try:
        suite = run_suite([test_file_for(path)], _search())
    except PerfrulesError as exc:
        return [{"name": "测试用例无法读取", "passed": False, "failures": [str(exc.first)]}]
    out = [{"name": c.name, "passed": c.passed, "failures": c.failures} for c in suite.cases]
    for ref, methods in suite.untested.items():
        if methods:
            out.append({"name": "未被任何用例覆盖的方法", "passed": False, "failures": ["、".join(methods)]})
    return out


def _against(rnd: Round, rs: Any, path: FsPath) -> tuple[list[Any], dict[str, Any]]:
    """The diff against the round's pinned version, and the round's latest submissions under `rs`."""
    from decimal import Decimal

    from perfrules.engine.diff import diff
    from perfrules.engine.replay import Row
    try:
        before = work.ruleset(rnd.ruleset_ref, _dirs())
        changes = diff(before, rs)
    except PerfrulesError:
        changes = []
    rows: list[Row] = []
    for r in entry_rows(rnd)[:PREVIEW_LIMIT]:
        up, old = r["upload"], r["scoring"]
        if up is None:
            continue
        row = Row(file=f"{up.filename}（v{up.version}）", unit=r["unit"].name, before_ruleset=rnd.ruleset_ref)
        blob = _ext()["blobs"].get(up.sha256)
        record = _ext()["scorer"].run(work.score_upload, blob, up.suffix, up.filename, str(path), _dirs(),
                                      on_limit=lambda reason, b=blob, n=up.filename: work.limit_record(b, n, rs.ref, reason))
        if not (old and old.ok and record["ok"]):
            row.error = "无法评分"
        else:
            row.before_total, row.before_grade = Decimal(old.total or "0"), old.grade
            row.after_total, row.after_grade = Decimal(record["total"] or "0"), record["grade"]
        rows.append(row)
    moved = sorted((r for r in rows if r.change), key=lambda r: (-abs(r.change or 0), r.unit or ""))
    return changes, {"rows": rows, "moved": moved, "crossed": [r for r in rows if r.crossed and r.error is None],
                     "scored": sum(1 for r in rows if r.error is None)}


@access("bureau")
def standard_publish(sid: int) -> Any:
    """Pin a round to this version: confirmed by a checkbox, audited; the round's latest submissions are
    scored under it beside their earlier scorings, which stay."""
    std = _standard_or_404(sid)
    rnd = round_or_404(request.form.get("round", type=int) or 0)
    if request.form.get("confirm") != "yes":
        return _message(400, "请先确认", "发布会改变本轮所有单位的评分依据：请勾选“我已查看检查结果、测试用例和对本轮的影响”后再发布。")
    if rnd.closed_at is not None:
        return _message(409, "本轮已结束", "已结束的轮次不能更换评分标准。")
    path = materialize(_ext()["data"], std, "published")
    try:
        rs = work.ruleset(str(path), _dirs())
    except PerfrulesError as exc:
        return _message(409, "这个版本现在无法使用", str(exc.first))
    before = rnd.ruleset_ref
    rnd.ruleset_ref, rnd.ruleset_sha256 = rs.ref, rs.sha256
    if std.published_at is None:
        std.published_at = now()
    made = score_round_under(rnd, rs.ref, _dirs())
    audit("publish", f"将评分标准 {rs.ref}（sha256 {rs.sha256[:12]}…）发布到本轮，原为 {before}；"
                     f"按新标准评分 {made} 份，原有评分保留", rnd.id)
    db().commit()
    return redirect(url_for("round_view", rid=rnd.id))


@access("bureau")
def standard_workbook(sid: int) -> Any:
    std = _standard_or_404(sid)
    path = materialize(_ext()["data"], std, "published" if std.published_at else "drafts")
    return _workbook(str(path), f"{std.ruleset_id.replace('/', '-')}-{std.version}-评分标准.xlsx")


def _workbook(ref: str, name: str) -> Response:
    from perfrules.engine.rulebook.commands import export_rulebook
    data = export_rulebook(ref, _search(), _ext()["data"] / "tmp" / "x.xlsx")
    return _download(data, name, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _round_for_user(rid: int) -> Round:
    """The round, if the account takes part in it (the bureau: any; a unit: one it has an entry in)."""
    rnd = round_or_404(rid)
    if g.user.role == "unit" and db().scalar(select(Entry.id).where(Entry.round_id == rnd.id,
                                                                    Entry.unit_id == g.user.unit_id)) is None:
        abort(404)
    return rnd


@access("user")
def round_standard(rid: int) -> Any:
    """The standard a round scores by, as a page a unit reads: the rule of every category and indicator in
    words, the grades and the checks."""
    from perfrules.engine.explain import check_sentence, rule_rows
    rnd = _round_for_user(rid)
    try:
        rs = work.ruleset(rnd.ruleset_ref, _dirs())
    except PerfrulesError as exc:
        return _message(409, "本轮的评分标准现在无法读取", str(exc.first))
    checks = [check_sentence(c.kind.name, c.params, c.severity) for c in rs.checks]
    return render_template("round_standard.html", rnd=rnd, rs=rs, rules=rule_rows(rs), checks=checks)


@access("user")
def round_standard_workbook(rid: int) -> Any:
    rnd = _round_for_user(rid)
    return _workbook(rnd.ruleset_ref, f"{rnd.ruleset_ref.replace('/', '-').replace('@', '-')}-评分标准.xlsx")
