"""`perfrules rulesets …`: the bureau's standards, listed, shown, checked, and kept as workbooks."""

from __future__ import annotations

import sys
from typing import Any

import click

from perfrules.commands.kit import EXIT_USER, _Group, _json, common, emit, handled
from perfrules.engine.errors import PerfrulesError

@click.group(cls=_Group)
def rulesets() -> None:
    """列出、查看、检查评分规则集。

    规则集按顺序从 --rulesets 目录、PERFRULES_PATH（以 : 分隔）和内置 rulesets/ 目录中查找。

    \b
    例：
      perfrules rulesets list
      perfrules rulesets show cn/unit-overall --resolved
      perfrules rulesets check
      perfrules rulesets export cn/unit-overall@2024.1 -o 评分标准.xlsx
    """


@rulesets.command("list")
@common
@handled
def rulesets_list(output_format: str, ruleset_dirs: tuple[str, ...]) -> None:
    """列出搜索路径上的全部规则集（ID、版本、标题、适用范围、文件）。

    \b
    例：
      perfrules rulesets list
      perfrules rulesets list --rulesets ./county-rules --format json
    """
    from perfrules.engine.api import scope_text
    from perfrules.engine.ruleset import display, get_ruleset, scan, search_path
    dirs = search_path(ruleset_dirs)
    entries, broken = scan(dirs)
    items: list[dict[str, Any]] = []
    for entry in sorted(entries, key=lambda e: (e.id, e.version)):
        try:
            rs = get_ruleset(str(entry.path), dirs)
        except PerfrulesError as exc:   # one broken ruleset is listed as such; the others still list
            items.append({"id": entry.id, "version": entry.version, "title": "", "applies_to": "",
                          "extends": None, "file": display(entry.path), "problem": str(exc.first)})
            continue
        items.append({"id": rs.id, "version": rs.version, "title": rs.title, "applies_to": scope_text(rs),
                      "extends": rs.parent, "file": display(entry.path), "problem": None})
    for path in broken:
        items.append({"id": "？", "version": "", "title": "", "applies_to": "", "extends": None,
                      "file": display(path), "problem": "无法读取 id 和 version"})
    if output_format == "json":
        _json(items)
        return
    from perfrules.engine.textout import table
    emit(table(["ID", "版本", "标题", "适用", "文件"],
               [[i["id"], i["version"], i["title"] if not i["problem"] else "（有问题，见 perfrules rulesets check）",
                 i["applies_to"], i["file"]] for i in items]))
    if any(i["problem"] for i in items):
        emit(f"\n{sum(1 for i in items if i['problem'])} 个规则集有问题，评分时不会使用；用 perfrules rulesets check 查看原因。")


@rulesets.command("show")
@click.argument("ref", metavar="ID[@VERSION]")
@click.option("--resolved", is_flag=True, help="展开继承：显示合并后的每个值及其出处（文件:行号）。")
@common
@handled
def rulesets_show(ref: str, resolved: bool, output_format: str, ruleset_dirs: tuple[str, ...]) -> None:
    """显示一个规则集；--resolved 显示继承展开后的结果和每个值的出处。

    \b
    例：
      perfrules rulesets show cn/unit-overall@2024.1
      perfrules rulesets show shaanxi/zizhou-unit-overall --resolved
    """
    from perfrules.engine.ruleset import get_ruleset, search_path
    from perfrules.engine.showrules import origins, raw_text
    from perfrules.engine.explain import rule_rows
    from perfrules.engine.textout import table
    rs = get_ruleset(ref, search_path(ruleset_dirs))
    if output_format == "json":
        _json({"id": rs.id, "version": rs.version, "extends": rs.parent, "file": rs.file, "sha256": rs.sha256,
               "ruleset": rs.doc.data, "rules": rule_rows(rs), **({"origins": origins(rs)} if resolved else {})})
        return
    if not resolved:
        emit(raw_text(rs))
        emit("\n评分规则（由参数写成的中文说明）：")
        emit(table(["类别或指标", "分值", "评分规则"], [[r["name"], r["points"], r["rule"]] for r in rule_rows(rs)]))
        return
    emit(f"{rs.ref}（继承展开后；出处为提供该值的文件:行号）")
    emit(table(["路径", "出处", "值"], [[p, o, v] for p, v, o in origins(rs)]))


@rulesets.command("check")
@click.argument("paths", nargs=-1, type=click.Path())
@common
@handled
def rulesets_check(paths: tuple[str, ...], output_format: str, ruleset_dirs: tuple[str, ...]) -> None:
    """检查规则集：先按 JSON Schema，再查含义（分值合计、分档无缺口无重叠、方法存在、表达式可编译、模板存在）。

    不给 PATH 时检查搜索路径上的全部规则集。有问题时退出码为 1。

    \b
    例：
      perfrules rulesets check
      perfrules rulesets check rulesets/shaanxi/zizhou-unit-overall-2025.1.yaml
    """
    from perfrules.engine.showrules import check_rulesets
    results = check_rulesets(paths, ruleset_dirs)
    bad = sum(1 for _, problems in results if any(not d.code.startswith("W-") for d in problems))
    if output_format == "json":
        _json({"ok": not bad, "rulesets": [{"file": f, "ok": not any(not d.code.startswith("W-") for d in p),
                                            "problems": [d.to_json() for d in p]} for f, p in results]})
    else:
        for file, problems in results:
            errors = [d for d in problems if not d.code.startswith("W-")]
            emit(f"{'有问题' if errors else '通过（有提醒）' if problems else '通过'}  {file}")
            for d in problems:
                emit(f"  {'提醒：' if d.code.startswith('W-') else ''}{d}")
        emit(f"\n检查了 {len(results)} 个规则集，{bad} 个有问题。")
    if bad:
        sys.exit(EXIT_USER)


@rulesets.command("export")
@click.argument("ref", metavar="ID[@VERSION]")
@click.option("-o", "--out", required=True, type=click.Path(), help="写出的评分标准工作簿（.xlsx）。")
@click.option("--force", is_flag=True, help="覆盖不是 perfrules 写出的同名文件。")
@common
@handled
def rulesets_export(ref: str, out: str, force: bool, output_format: str, ruleset_dirs: tuple[str, ...]) -> None:
    """把规则集写成评分标准工作簿：说明、指标体系（方法用中文名、参数分列、评分规则写成中文）、等级、核对规则、报告模板、测试用例。

    工作簿写出继承展开后的完整标准；规则集继承上级标准时，“继承”一栏照写。改好后用 rulesets import 读回 YAML。

    \b
    例：
      perfrules rulesets export cn/unit-overall@2024.1 -o 评分标准.xlsx
    """
    from pathlib import Path

    from perfrules.engine.files import atomic_write
    from perfrules.engine.rulebook.commands import export_rulebook
    from perfrules.engine.ruleset import search_path
    target = Path(out)
    atomic_write(target, export_rulebook(ref, search_path(ruleset_dirs), target), [], force)
    emit(f"已写出 {out}")


@rulesets.command("new")
@click.option("--extends", "parent", required=True, metavar="ID@VERSION", help="上级标准：新标准预填它的全部内容。")
@click.option("--id", "new_id", required=True, help="新规则集的编号，如 shaanxi/zizhou-unit-overall。")
@click.option("--version", "version", required=True, help="新规则集的版本，如 2026.1。")
@click.option("-o", "--out", required=True, type=click.Path(), help="写出的评分标准工作簿（.xlsx）。")
@click.option("--force", is_flag=True, help="覆盖不是 perfrules 写出的同名文件。")
@common
@handled
def rulesets_new(parent: str, new_id: str, version: str, out: str, force: bool, output_format: str,
                 ruleset_dirs: tuple[str, ...]) -> None:
    """从上级标准开始一个新标准：工作簿预填上级的全部内容，县（区）只改不同之处。

    \b
    例：
      perfrules rulesets new --extends cn/unit-overall@2024.1 --id shaanxi/x --version 2026.1 -o 新标准.xlsx
    """
    from pathlib import Path

    from perfrules.engine.files import atomic_write
    from perfrules.engine.rulebook.commands import new_rulebook
    from perfrules.engine.ruleset import search_path
    target = Path(out)
    atomic_write(target, new_rulebook(parent, new_id, version, search_path(ruleset_dirs), target), [], force)
    emit(f"已写出 {out}：预填了 {parent} 的全部内容；改好后用 perfrules rulesets import {out} -o 规则集.yaml 读回")


@rulesets.command("import")
@click.argument("workbook", type=click.Path())
@click.option("-o", "--out", required=True, type=click.Path(), help="写出的规则集（.yaml）；测试用例写在旁边的 .test.yaml。")
@click.option("--force", is_flag=True, help="覆盖不是 perfrules 写出的同名文件。")
@common
@handled
def rulesets_import(workbook: str, out: str, force: bool, output_format: str, ruleset_dirs: tuple[str, ...]) -> None:
    """把评分标准工作簿读回规则集 YAML（每个值的行尾注明读自哪个单元格）。

    与 rulesets check 一样检查，问题指到单元格（评分标准.xlsx!指标体系!F7）；方法和核对规则写错时给出最接近的名称。
    填了“继承”时，YAML 只写与上级标准不同之处。单元格中的公式不计算，直接拒绝。

    \b
    例：
      perfrules rulesets import 评分标准.xlsx -o rulesets/shaanxi/x-2026.1.yaml
    """
    from pathlib import Path

    from perfrules.engine.files import atomic_write
    from perfrules.engine.rulebook.commands import import_rulebook
    from perfrules.engine.ruleset import search_path
    source, target = Path(workbook), Path(out)
    if not out.endswith((".yaml", ".yml")):
        from perfrules.engine.errors import Location, error
        raise error("规则集应写成 .yaml 文件", Location(out), "例如 -o rulesets/shaanxi/x-2026.1.yaml", code="E-USAGE")
    text, cases, warnings = import_rulebook(source, workbook, search_path(ruleset_dirs), target)
    tests = target.with_name(target.name.rsplit(".", 1)[0] + ".test.yaml")
    atomic_write(target, text, [source], force)
    if cases is not None:
        atomic_write(tests, cases, [source], force)
    if output_format == "json":
        _json({"ok": True, "ruleset": out, "tests": str(tests) if cases else None, "warnings": [d.to_json() for d in warnings]})
        return
    emit(f"已写出 {out}" + (f" 和 {tests}" if cases else ""))
    for d in warnings:
        emit(f"  提醒：{d}")
