"""perfrules command line: parses arguments, calls the engine, prints, maps errors to exit codes.

Exit codes: 0 ok; 1 a problem with the user's files; 2 usage; 3 an internal bug (traceback with --debug);
4 (`check` only) the file was checked and error findings exist.
"""

from __future__ import annotations

import functools
import sys
from typing import Any, Callable

import click

from perfrules.engine import __version__
from perfrules.engine.errors import PerfrulesError

EXIT_OK, EXIT_USER, EXIT_USAGE, EXIT_BUG, EXIT_FINDINGS = 0, 1, 2, 3, 4


def emit(text: str, err: bool = False) -> None:
    click.echo(text.rstrip("\n"), err=err)


def _report_user_error(exc: PerfrulesError, fmt: str, command: str) -> None:
    if fmt == "json":
        from perfrules.engine.scorecard import dumps
        emit(dumps({"ok": False, "errors": [d.to_json() for d in exc.diagnostics]}))
        return
    emit(f"错误：{exc.first}", err=True)
    more = len(exc.diagnostics) - 1
    if more and command not in ("check", "rulesets_import"):   # a bureau fixing a workbook sees every cell at once
        emit(f"另有 {more} 个问题；用 perfrules check 或 perfrules rulesets check 查看全部。", err=True)
    elif more:
        for d in exc.diagnostics[1:]:
            emit(f"错误：{d}", err=True)


def handled(func: Callable[..., Any]) -> Callable[..., Any]:
    """One place that turns every failure into a message and an exit code.

    The user's problems are exit 1, whatever raised them: our own PerfrulesError, an operating-system
    error (missing, unreadable, looping or too-long paths, a full disk, stdout to /dev/full), a Decimal
    trap. Anything else is a bug: exit 3, said as one (as JSON under --format json), never a traceback
    unless --debug."""
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from perfrules.engine.limits import install_context
        fmt = kwargs.get("output_format", "text")
        debug = kwargs.pop("debug", False)
        install_context()
        try:
            result = func(*args, **kwargs)
            sys.stdout.flush()   # a full disk or /dev/full shows here, not at interpreter exit
            return result
        except PerfrulesError as exc:
            _report_user_error(exc, fmt, func.__name__)
            sys.exit(EXIT_USER)
        except click.exceptions.Exit:
            raise
        except click.ClickException:
            raise
        except KeyboardInterrupt:
            emit("已中断。", err=True)
            sys.exit(130)
        except BrokenPipeError:
            _quiet_stdout()   # `perfrules … | head`: the reader left; nothing more to say
            sys.exit(EXIT_OK)
        except OSError as exc:
            from perfrules.engine.files import os_error
            _quiet_stdout()
            _report_user_error(os_error(exc, exc.filename or "<标准输出>", "写入" if exc.filename is None else "读取"),
                               fmt, func.__name__)
            sys.exit(EXIT_USER)
        except ArithmeticError as exc:   # a Decimal trap that no stage turned into E-NUMBER itself
            from perfrules.engine.errors import error
            _report_user_error(error(f"数值超出可计算的范围（{type(exc).__name__}）", None,
                                     "检查文件中的数值是否过大、过小或位数过多；限制见 docs/ruleset-guide.md", code="E-NUMBER"),
                               fmt, func.__name__)
            sys.exit(EXIT_USER)
        except Exception as exc:  # noqa: BLE001 - the last line of defence: a bug, said as one
            from perfrules.engine.errors import internal_message
            if debug:
                import traceback
                traceback.print_exc()
            if fmt == "json":
                from perfrules.engine.scorecard import dumps
                emit(dumps({"ok": False, "internal_error": {"type": type(exc).__name__,
                                                            "message": internal_message(exc)}}))
            else:
                emit(f"{internal_message(exc)}\n这是 perfrules 的缺陷，不是您文件的问题。"
                     "请用 --debug 重新运行并把输出附在问题报告里。", err=True)
            sys.exit(EXIT_BUG)
    return wrapper


def _quiet_stdout() -> None:
    """Point stdout at devnull so that the interpreter's final flush cannot raise again."""
    import os
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _fail(exc: PerfrulesError) -> None:
    """A user's file problem found while the arguments are read (before `handled` runs): said the same way,
    exit 1."""
    fmt = "json" if "--format=json" in sys.argv or ("--format" in sys.argv and "json" in sys.argv) else "text"
    _report_user_error(exc, fmt, "options")
    sys.exit(EXIT_USER)


def _input_folders(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...]:
    """A folder given to read rulesets or templates from must be one: a missing or unreadable folder is the
    user's file problem (exit 1, with the path), not a usage error, and never silently ignored."""
    import os
    for folder in value:
        if not os.path.isdir(folder):
            from perfrules.engine.errors import Location, error
            what = "目录不存在" if not os.path.exists(folder) else "路径不是目录"
            exc = error(f"{param.opts[0]} 给出的{what}", Location(folder), "请给出存放规则集或模板的目录", code="E-IO")
            _fail(exc)
        if not os.access(folder, os.R_OK | os.X_OK):
            from perfrules.engine.errors import Location, error
            _fail(error(f"没有读取目录的权限", Location(folder), "检查目录的权限", code="E-IO"))
    return value


def common(func: Callable[..., Any] | None = None, formats: tuple[str, ...] = ("text", "json")) -> Any:
    """The options every command shares: output format, ruleset search path, debug."""
    def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
        f = click.option("--debug", is_flag=True, help="出现内部错误时打印调用栈。")(f)
        f = click.option("--rulesets", "ruleset_dirs", multiple=True, type=click.Path(), callback=_input_folders,
                         help="额外的规则集目录（可重复；优先于 PERFRULES_PATH 和内置目录）。")(f)
        f = click.option("--format", "output_format", type=click.Choice(formats), default="text",
                         show_default=True, help="输出格式。")(f)
        return f
    return decorate(func) if func is not None else decorate


def _wants_json(argv: list[str]) -> bool:
    return any(a == "--format=json" for a in argv) or any(a == "--format" and b == "json" for a, b in zip(argv, argv[1:]))


def _cjk(ch: str) -> bool:
    return "\u2e80" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef"


def _joined(text: str | None) -> str | None:
    """A help text whose source line breaks between two Chinese characters are joined without a space: click
    rewraps a paragraph (and makes the one-line summary) by joining its lines with one, a stray gap between
    Chinese characters (“JSON、 自评表”). Paragraphs marked \\b (examples) are left as written."""
    if not text:
        return text
    paragraphs = text.split("\n\n")
    for i, paragraph in enumerate(paragraphs):
        if "\b" in paragraph:
            continue
        lines = paragraph.split("\n")
        joined = lines[0]
        for line in lines[1:]:
            stripped = line.lstrip()
            joined += stripped if joined and stripped and _cjk(joined[-1]) and _cjk(stripped[0]) else "\n" + line
        paragraphs[i] = joined
    return "\n\n".join(paragraphs)


class _Command(click.Command):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.help = _joined(self.help)


class _Group(click.Group):
    """Usage errors (a wrong option, a missing argument) are exit 2; under --format json they are JSON too.
    Its commands and subgroups are made of _Command and of this class (help texts joined: `_joined`)."""

    command_class = _Command
    group_class = type   # subgroups are made of this same class

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.help = _joined(self.help)

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        if not standalone_mode or not _wants_json(argv):
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            rv = super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
        except click.ClickException as exc:
            from perfrules.engine.scorecard import dumps
            emit(dumps({"ok": False, "usage_error": {"message": f"用法错误：{exc.format_message()}",
                                                     "hint": "用 perfrules COMMAND --help 查看用法和示例"}}))
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            sys.exit(130)
        sys.exit(rv if isinstance(rv, int) else EXIT_OK)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="perfrules")
def main() -> None:
    """perfrules：预算绩效自评的声明式评分引擎。

    用版本化的 YAML 规则集给单位的绩效自评表评分、核对并出具报告。自评数据可以是 YAML、JSON、自评表工作簿（.xlsx，也读 .xls、WPS 的 .et
    和 .ods）、Word 自评报告（.docx）或 PDF 报告。

    \b
    例：
      perfrules score examples/zizhou-hrss-2024.yaml
      perfrules score examples/zizhou-hrss-2024.yaml --ruleset cn/project@2020.1 --format json
      perfrules init -o 自评表.xlsx          # 空白自评表 → 填写 → check → report
      perfrules batch 各单位/ -o 汇总.html    # 财政局：全县汇总与审阅页面
    """


@main.command()
@click.argument("file", type=click.Path())
@click.option("--ruleset", "ruleset_ref", metavar="ID[@VERSION]",
              help="评分规则集；省略时按自评数据的 ruleset 字段，或按类型和年度自动选择。")
@common
@handled
def score(file: str, ruleset_ref: str | None, output_format: str, ruleset_dirs: tuple[str, ...]) -> None:
    """按规则集给一份自评数据评分。

    输出每个指标的规则得分与说明、分类小计、总分和等级，以及单位自评分与规则得分不一致之处。

    \b
    例：
      perfrules score examples/zizhou-hrss-2024.yaml
      perfrules score examples/zizhou-hrss-2024.yaml --ruleset cn/budget10-free90
      perfrules score examples/zizhou-hrss-2024.yaml --format json > scorecard.json
    """
    from perfrules.engine.api import score_file_with_checks
    card, check_counts = score_file_with_checks(file, ruleset_ref, ruleset_dirs)
    if output_format == "json":
        from perfrules.engine.scorecard import dumps
        emit(dumps({**card.to_json(), "check_counts": check_counts}))
    else:
        from perfrules.engine.textout import check_line, scorecard
        emit(scorecard(card))
        emit(check_line(check_counts, file))


@main.command()
@click.argument("file", type=click.Path())
@click.option("--ruleset", "ruleset_ref", metavar="ID[@VERSION]", help="规则集；省略时自动选择（同 score）。")
@click.option("--strict", is_flag=True, help="警告也视为不通过（退出码 4）。")
@common
@handled
def check(file: str, ruleset_ref: str | None, strict: bool, output_format: str, ruleset_dirs: tuple[str, ...]) -> None:
    """核对一份自评数据的自洽性：合计、比率、分数、日期、必填内容。

    逐条列出问题（错误 / 警告 / 提示），每条有稳定的代码、点明数字的中文说明和 文件:行号，按位置排序。

    \b
    退出码：0 没有错误级问题；4 有错误级问题（--strict 时警告也算）；1 文件本身无法读取。
    \b
    例：
      perfrules check examples/zizhou-hrss-2024.yaml
      perfrules check examples/zizhou-hrss-2024.yaml --format json | jq '.findings[].code'
    """
    from perfrules.engine.api import check_file
    card = check_file(file, ruleset_ref, ruleset_dirs)
    if output_format == "json":
        from perfrules.engine.scorecard import dumps
        emit(dumps({"ok": True, "file": card.file, "ruleset": f"{card.ruleset_id}@{card.ruleset_version}",
                    "total": card.total, "grade": card.grade, "counts": card.counts(),
                    "findings": [f.to_json() for f in card.findings]}))
    else:
        from perfrules.engine.textout import findings
        from perfrules.engine.methods import fmt
        emit(f"{card.file} · 规则集 {card.ruleset_id}@{card.ruleset_version} · 规则得分 {fmt(card.total)}（{card.grade}）")
        emit(findings(card.findings))
    counts = card.counts()
    if counts["error"] or (strict and counts["warning"]):
        sys.exit(EXIT_FINDINGS)


def _dumps(value: Any) -> str:
    from perfrules.engine.scorecard import dumps
    return dumps(value) + "\n"


def _json(value: Any) -> None:
    from perfrules.engine.scorecard import dumps
    emit(dumps(value))


@main.group()
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


@main.command("test")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("-v", "--verbose", is_flag=True, help="通过的用例也逐条列出。")
@common
@handled
def test_cmd(paths: tuple[str, ...], verbose: bool, output_format: str, ruleset_dirs: tuple[str, ...]) -> None:
    """运行规则集旁边的测试用例（x.test.yaml），每个用例一行 PASS / FAIL。

    PATH 可以是规则集、测试文件或目录；不给时运行搜索路径上的全部测试。
    规则集用到但没有任何用例覆盖的评分方法也算失败。退出码：0 全部通过；4 有失败；1 文件无法读取。

    \b
    例：
      perfrules test
      perfrules test rulesets/cn/unit-overall-2024.1.yaml -v
    """
    from perfrules.engine.ruleset import search_path
    from perfrules.engine.ruletest import discover, run_suite
    dirs = search_path(ruleset_dirs)
    files = discover(paths, dirs)
    suite = run_suite(files, dirs)
    if not suite.cases:   # nothing tested is not a pass
        from perfrules.engine.errors import error
        raise error("没有找到任何测试用例（规则集旁边的 *.test.yaml）", None,
                    "在规则集旁边新建 x.test.yaml 并写上 cases；见 docs/ruleset-guide.md“测试”一节", code="E-TEST")
    if output_format == "json":
        _json({"passed": suite.passed, "cases": [c.to_json() for c in suite.cases], "untested_methods": suite.untested})
    else:
        for case in suite.cases:
            if case.passed and not verbose:
                continue
            emit(f"{'PASS' if case.passed else 'FAIL'}  {case.ruleset} › {case.name}  ({case.location})")
            for failure in case.failures:
                emit(f"      {failure}")
        for ref, methods in suite.untested.items():
            if methods:
                emit(f"FAIL  {ref} 用到的方法没有任何用例覆盖：{', '.join(methods)}")
        failed = sum(1 for c in suite.cases if not c.passed)
        emit(f"{len(suite.cases)} 个用例：{len(suite.cases) - failed} 通过，{failed} 失败。")
    if not suite.passed:
        sys.exit(EXIT_FINDINGS)


@main.command("diff")
@click.argument("a", metavar="A")
@click.argument("b", metavar="B")
@common
@handled
def diff_cmd(a: str, b: str, output_format: str, ruleset_dirs: tuple[str, ...]) -> None:
    """比较两个规则集继承展开后的实际差异：权重、方法、参数、分档、等级、核对规则、模板。

    A、B 为 ID[@版本] 或规则集文件路径。

    \b
    例：
      perfrules diff cn/unit-overall@2024.1 shaanxi/zizhou-unit-overall@2025.1
      perfrules diff cn/unit-overall cn/project --format json
    """
    from perfrules.engine.diff import diff, text
    from perfrules.engine.ruleset import get_ruleset, search_path
    dirs = search_path(ruleset_dirs)
    ra, rb = get_ruleset(a, dirs), get_ruleset(b, dirs)
    changes = diff(ra, rb)
    if output_format == "json":
        _json({"a": ra.ref, "b": rb.ref, "changes": [c.to_json() for c in changes]})
    else:
        emit(text(ra, rb, changes))


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--against", required=True, metavar="ID[@VERSION]", help="新规则集。")
@click.option("--baseline", metavar="ID[@VERSION]", help="原规则集；省略时用每份数据原本适用的规则集。")
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False),
              help="写入文件而不是打印：.html（可离线打开的对比页面）、.csv、.json")
@click.option("--trust-submission-ruleset", "trust", is_flag=True,
              help="按自评数据中 ruleset 字段指定的规则集评分（默认按财政局适用的规则集，另行指定的只记为发现）。")
@click.option("--force", is_flag=True, help="覆盖已存在的输出文件（perfrules 写出后未经改动的文件不需要；输入文件在任何情况下都不会被覆盖）。")
@common(formats=("text", "json", "csv"))
@handled
def replay(paths: tuple[str, ...], against: str, baseline: str | None, out: str | None, trust: bool, force: bool,
           output_format: str, ruleset_dirs: tuple[str, ...]) -> None:
    """用新规则集重新评分一批自评数据，看总分和等级怎样变化。

    列出每份数据在原规则集与新规则集下的总分、等级和变化，哪些单位跨过等级界线，以及各等级的单位数。
    无法评分的文件单独列出，不中断；此时退出码为 4。

    \b
    例：
      perfrules replay examples/ --against shaanxi/zizhou-unit-overall@2025.1 --baseline cn/unit-overall@2024.1
      perfrules replay units/ --against cn/project@2020.1 --format csv > replay.csv
      perfrules replay units/ --against shaanxi/zizhou-unit-overall@2025.1 -o 对比.html
    """
    from perfrules.engine import replay as rp
    if out:   # before any work: never replay a county and then find the output may not be written
        from pathlib import Path

        from perfrules.engine.files import check_output, collect
        check_output(Path(out), [*collect(paths).files, *paths], force)
    after, rows = rp.replay(paths, against, baseline, ruleset_dirs, trust)
    if out:
        from pathlib import Path

        from perfrules.engine.errors import Location, error
        from perfrules.engine.files import atomic_write
        suffix = Path(out).suffix.lower()
        writers = {".html": lambda: rp.to_html(after, rows), ".htm": lambda: rp.to_html(after, rows),
                   ".csv": lambda: rp.to_csv(rows),
                   ".json": lambda: _dumps({"against": after.ref, "rows": [r.to_json() for r in rows]})}
        if suffix not in writers:
            raise error(f"无法从扩展名 '{suffix or '（无）'}' 判断输出格式", Location(out), "请用 .html、.csv 或 .json 结尾",
                        code="E-USAGE")
        atomic_write(Path(out), writers[suffix](), [Path(p) for p in paths], force)
        emit(f"已写出 {out}")
        if any(r.error for r in rows):
            sys.exit(EXIT_FINDINGS)
        return
    if output_format == "json":
        _json({"against": after.ref, "rows": [r.to_json() for r in rows],
               "grades": [{"grade": g, "before": x, "after": y} for g, x, y in rp.grade_counts(rows, after)]})
    elif output_format == "csv":
        click.echo(rp.to_csv(rows), nl=False)
    else:
        emit(rp.text(after, rows))
    if any(r.error for r in rows):
        sys.exit(EXIT_FINDINGS)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False),
              help="汇总文件；格式由扩展名决定：.csv .json .xlsx .html（可离线打开的审阅页面）")
@click.option("--ruleset", "ruleset_ref", metavar="ID[@VERSION]",
              help="统一使用的规则集；省略时每份数据按类型、年度、地区用其适用的规则集（不采用数据自己指定的）。")
@click.option("-j", "--jobs", default=1, show_default=True, type=click.IntRange(1, 64), help="并行进程数。")
@click.option("--force", is_flag=True, help="覆盖已存在的输出文件（perfrules 写出后未经改动的文件不需要；输入文件在任何情况下都不会被覆盖）。")
@click.option("--trust-submission-ruleset", "trust", is_flag=True,
              help="按自评数据中 ruleset 字段指定的规则集评分（默认按财政局适用的规则集，另行指定的只记为发现）。")
@common
@handled
def batch(paths: tuple[str, ...], out: str, ruleset_ref: str | None, jobs: int, force: bool, trust: bool,
          output_format: str, ruleset_dirs: tuple[str, ...]) -> None:
    """批量评分：一个县、一个省的全部自评数据，一次评完，写出汇总表。

    每份数据一行：单位、年度、规则集、规则总分、等级、自报总分、差异、错误数、警告数、文件。
    无法评分的文件不中断，逐个列出原因；目录中没有读取的其他文件也列出。终端上显示进度条。
    结果与文件顺序、并行进程数无关（逐字节相同）。输出文件不会是任何输入文件。
    退出码：0 全部评分；4 有文件无法评分（汇总照常写出）；1 无法写出汇总。

    \b
    例：
      perfrules batch units/ -o 汇总.xlsx
      perfrules batch units/ other/*.yaml -o 汇总.csv --jobs 4
      perfrules batch units/ -o 汇总.json --ruleset cn/unit-overall@2024.1
      perfrules batch units/ -o 汇总.html                 # 审阅页面：图表、可排序筛选的单位表
    """
    from pathlib import Path

    from perfrules.engine import batch as bt
    from perfrules.engine.errors import Location, error
    from perfrules.engine.files import atomic_write, check_output, collect
    make_sink = bt.SINKS.get(Path(out).suffix.lower())
    if make_sink is None:
        raise error(f"无法从扩展名 '{Path(out).suffix or '（无）'}' 判断汇总格式", Location(out),
                    "汇总文件请用 .csv、.json、.xlsx 或 .html 结尾")
    with bt.workers(jobs) as pool:   # started before the file list is made, so that they do not hold it
        found = collect(paths)
        inputs: list[str | Path] = [*found.files, *paths]
        check_output(Path(out), inputs, force)   # before any work: never score a file and then write over it
        sink = make_sink(paths)
        try:
            if sys.stderr.isatty() and output_format == "text":
                with click.progressbar(length=len(found.files), label="评分中", file=sys.stderr) as bar:
                    summary = bt.run(found, ruleset_ref, ruleset_dirs, jobs, sink, bar.update, trust, pool)
            else:
                summary = bt.run(found, ruleset_ref, ruleset_dirs, jobs, sink, trust_submission=trust, pool=pool)
            if pool is not None:
                pool.shutdown()   # the workers' memory is given back before the summary is written
            atomic_write(Path(out), sink.finish(summary), inputs, force)
        finally:
            sink.close()
    if output_format == "json":
        _json({"ok": not summary.errors, "output": out, **summary.to_json(), "errors": summary.errors})
    else:
        emit(bt.text_summary(summary))
        emit(f"\n已写出 {out}")
    if summary.errors:
        sys.exit(EXIT_FINDINGS)


@main.command()
@click.argument("file", type=click.Path())
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False),
              help="输出文件；格式由扩展名决定：.md .html .pdf .docx")
@click.option("--ruleset", "ruleset_ref", metavar="ID[@VERSION]", help="规则集；省略时自动选择（同 score）。")
@click.option("--template", "template_ref", metavar="SET@VERSION", help="报告模板；省略时用规则集指定的模板。")
@click.option("--templates", "template_dirs", multiple=True, type=click.Path(), callback=_input_folders,
              help="额外的模板目录（可重复；优先于 PERFRULES_TEMPLATES 和内置目录）。")
@click.option("--force", is_flag=True, help="覆盖已存在的输出文件（perfrules 写出后未经改动的文件不需要；输入文件在任何情况下都不会被覆盖）。")
@common
@handled
def report(file: str, out: str, ruleset_ref: str | None, template_ref: str | None, template_dirs: tuple[str, ...],
           force: bool, output_format: str, ruleset_dirs: tuple[str, ...]) -> None:
    """按官方格式生成自评报告（Markdown、HTML、PDF、Word），单位自评分与按规则复核的分数并列，结论以复核为准。

    报告末尾的附录列出单位自评分与规则得分不一致之处和核对发现的问题，并注明规则集、数据和模板的来源。
    写出是原子的：出错时不留下半个文件，也不会覆盖输入文件。

    \b
    例：
      perfrules report examples/zizhou-hrss-2024.yaml -o 自评报告.html
      perfrules report examples/zizhou-hrss-2024.yaml -o 自评报告.pdf
      perfrules report examples/zizhou-hrss-2024.yaml -o 自评报告.docx --template unit-overall@1
    """
    from perfrules.engine.api import report_file
    used = report_file(file, out, ruleset_ref, template_ref, ruleset_dirs, template_dirs, force)
    if output_format == "json":
        _json({"ok": True, "output": out, "template": used})
    else:
        emit(f"已生成 {out}（模板 {used}）")


@main.command("init")
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False), help="输出的 .xlsx 文件。")
@click.option("--ruleset", "ruleset_ref", metavar="ID[@VERSION]", help="按该规则集的类别生成下拉列表和指标行。")
@click.option("--kind", type=click.Choice(["unit-overall", "project"]), help="评价类型（未给 --ruleset 时用于选择规则集）。")
@click.option("--year", type=click.IntRange(1990, 2100), help="评价年度；默认上一年。")
@click.option("--force", is_flag=True, help="覆盖已存在的输出文件（perfrules 写出后未经改动的文件不需要；输入文件在任何情况下都不会被覆盖）。")
@common
@handled
def init_cmd(out: str, ruleset_ref: str | None, kind: str | None, year: int | None, force: bool, output_format: str,
             ruleset_dirs: tuple[str, ...]) -> None:
    """生成空白的自评表（Excel 工作簿），按规则集的官方格式：基本信息、预算执行、绩效目标、绩效指标、
    自评结论、评价小组、评价报告，以及填表说明。黄色单元格为填写区，标签已锁定（无密码）。

    填好后可直接用于 check、score、report、batch。

    \b
    例：
      perfrules init -o 自评表.xlsx
      perfrules init --kind project --year 2024 -o 项目自评表.xlsx
      perfrules init --ruleset shaanxi/zizhou-unit-overall@2025.1 -o 自评表.xlsx
    """
    from pathlib import Path

    from perfrules.engine.errors import Location, error
    from perfrules.engine.files import atomic_write
    from perfrules.engine.convert import blank_form
    if Path(out).suffix.lower() != ".xlsx":
        raise error("自评表请用 .xlsx 结尾", Location(out), "例如 -o 自评表.xlsx", code="E-USAGE")
    atomic_write(Path(out), blank_form(ruleset_ref, kind, year, ruleset_dirs), (), force)
    if output_format == "json":
        _json({"ok": True, "output": out})
    else:
        emit(f"已生成 {out}：在黄色单元格中填写，然后运行 perfrules check {out}")


@main.command("convert")
@click.argument("source", metavar="IN", type=click.Path())
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False),
              help="输出文件；格式由扩展名决定：.yaml .json .xlsx")
@click.option("--force", is_flag=True, help="覆盖已存在的输出文件（perfrules 写出后未经改动的文件不需要；输入文件在任何情况下都不会被覆盖）。")
@common
@handled
def convert_cmd(source: str, out: str, force: bool, output_format: str, ruleset_dirs: tuple[str, ...]) -> None:
    """在 YAML、JSON、Excel（.xlsx）之间转换自评数据；也可从 Word 自评报告（.docx）转出。

    只转换有效的自评数据；YAML → xlsx → YAML 得到同一份数据。

    \b
    例：
      perfrules convert examples/zizhou-hrss-2024.yaml -o 自评表.xlsx
      perfrules convert 自评表.xlsx -o 自评数据.yaml
    """
    from pathlib import Path

    from perfrules.engine.convert import convert
    convert(Path(source), Path(out), ruleset_dirs, force)
    if output_format == "json":
        _json({"ok": True, "output": out})
    else:
        emit(f"已写出 {out}")


@main.command("import")
@click.argument("sources", metavar="FILE...", nargs=-1, required=True, type=click.Path())
@click.option("-o", "--output", "out", required=True, type=click.Path(),
              help="输出的 .yaml 文件；导入多个文件时为输出目录（每个文件一份 .yaml）。")
@click.option("--force", is_flag=True, help="覆盖已存在的输出文件（perfrules 写出后未经改动的文件不需要；输入文件在任何情况下都不会被覆盖）。")
@common
@handled
def import_cmd(sources: tuple[str, ...], out: str, force: bool, output_format: str, ruleset_dirs: tuple[str, ...]) -> None:
    """从 Word 自评报告（.docx；有 LibreOffice 时也可 .doc）、PDF 报告或自评表工作簿（.xlsx、.xls、.et、.ods）读出自评数据，写成 YAML。

    按表头找自评表（指标表、预算表、年度总体目标、评价小组），按标题层级读评价报告正文，读出正文所述的总分和等级。
    每处需要解读的单元格在 YAML 中有注释，每个值的行尾注明读自哪个单元格（表2!R5C4、第3页!表2!R5C4、Sheet1!E12）；
    读不出的内容留空并列出，不猜测，退出码为 4；表格中没有读的列、行和单元格也逐一列出（不影响退出码）。

    \b
    例：
      perfrules import 自评报告.docx -o 自评数据.yaml
      perfrules import 收到的报告/*.docx -o 自评数据/
      perfrules import 自评报告.pdf -o 自评数据.yaml
      perfrules import 项目支出绩效自评表.xlsx -o 自评数据.yaml
    """
    from pathlib import Path

    from perfrules.engine.files import atomic_write
    from perfrules.engine.formats.docx_import import dump_import, import_document, import_legacy_doc
    from perfrules.engine.errors import Location, error
    target = Path(out)
    many = len(sources) > 1 or target.is_dir()
    if many and not target.is_dir():
        raise error("导入多个文件时 -o 应是已存在的目录", Location(out), f"先创建目录：mkdir {out}", code="E-USAGE")
    results: list[dict[str, Any]] = []
    from perfrules.engine.formats import sniff, workbook_kind
    for source in sources:
        path = Path(source)
        kind = sniff(path, source)   # by content, through the same regular-file check as score: a FIFO or a
        if kind == "empty":          # device is refused before a byte is read
            raise error("文件是空的（0 字节）", Location(source), "请确认选对了文件", code="E-EMPTY")
        legacy = kind == "ole" and path.suffix.lower() == ".doc"
        if kind == "pdf":
            from perfrules.engine.formats.pdf_import import import_pdf
            result = import_pdf(path, source, ruleset_dirs)
        elif workbook_kind(path, kind) is not None:   # a workbook's guard says what else a .xlsx is
            from perfrules.engine.formats.xlsx import import_workbook
            result = import_workbook(path, source, tuple(ruleset_dirs), workbook_kind(path, kind))
        elif not legacy and kind != "docx" and path.suffix.lower() != ".docx":
            raise error("只能导入 Word 文档（.docx，或有 LibreOffice 时的 .doc）、PDF 报告或自评表工作簿（.xlsx、.xls、.ods）",
                        Location(source), "其他格式请先另存为 .docx 或 .xlsx", code="E-FORMAT")
        else:
            if legacy:
                result = import_legacy_doc(path, source)
            else:   # a damaged .docx: its guard says so; a bureau's headers.yaml in --rulesets is read too
                result = import_document(path, source, tuple(ruleset_dirs))
        dest = target / (path.stem + ".yaml") if many else target
        atomic_write(dest, dump_import(result, path.name), [Path(s) for s in sources], force)
        results.append({"file": source, "output": str(dest), "indicators": len(result.document.data.get("indicators", [])),
                        "problems": result.problems, "unread": result.unread})
    if output_format == "json":
        _json({"ok": not any(r["problems"] for r in results), "imported": results})
    else:
        for r in results:
            emit(f"{r['file']} → {r['output']}：{r['indicators']} 个指标" + (f"，{len(r['problems'])} 处需要手工填写：" if r["problems"] else ""))
            for problem in r["problems"]:
                emit(f"  - {problem}")
            if r["unread"]:
                emit("  表格中未读的内容（不影响评分；详见输出文件开头）：")
                for line in r["unread"]:
                    emit(f"  · {line}")
    if any(r["problems"] for r in results):
        sys.exit(EXIT_FINDINGS)


@main.group()
def templates() -> None:
    """报告模板。

    \b
    例：
      perfrules templates list
    """


@templates.command("list")
@click.option("--templates", "template_dirs", multiple=True, type=click.Path(), callback=_input_folders,
              help="额外的模板目录。")
@common
@handled
def templates_list(template_dirs: tuple[str, ...], output_format: str, ruleset_dirs: tuple[str, ...]) -> None:
    """列出可用的报告模板（模板集@版本、标题、继承、可用格式、目录）。

    \b
    例：
      perfrules templates list
      perfrules templates list --templates ./my-templates --format json
    """
    from perfrules.engine import render
    dirs = render.template_dirs(template_dirs)
    items: list[dict[str, Any]] = []
    for ts in render.list_templates(dirs):
        formats = [f for f in ("md", "html", "pdf", "docx") if _has_format(render, ts, f, dirs)]
        items.append({"template": ts.ref, "title": ts.title, "extends": ts.extends, "formats": formats,
                      "folder": str(ts.folder)})
    if output_format == "json":
        _json(items)
        return
    from perfrules.engine.textout import table
    emit(table(["模板", "标题", "继承", "格式", "目录"],
               [[i["template"], i["title"], i["extends"] or "—", " ".join(i["formats"]), i["folder"]] for i in items]))


def _has_format(render: Any, ts: Any, fmt: str, dirs: Any) -> bool:
    try:
        render.source_for(ts, fmt, dirs)
        return True
    except PerfrulesError:
        return False


if __name__ == "__main__":
    main()


def _port_free(host: str, port: int) -> None:
    """Say at once when the address cannot be listened on (a port in use, an address not of this machine)."""
    import socket
    from perfrules.engine.errors import Location, error
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise error(f"无法解析监听地址 {host}", Location(f"{host}:{port}"), "用本机的 IP 地址，或 0.0.0.0", code="E-USAGE") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            import errno
            busy = exc.errno == errno.EADDRINUSE
            raise error(f"端口 {port} 已被占用" if busy else f"无法在 {host}:{port} 监听（{exc.strerror}）",
                        Location(f"{host}:{port}"),
                        "换一个端口（--port 8080），或先停止占用它的程序" if busy else "检查 --host 是否为本机地址",
                        code="E-IO") from None


@main.command("serve")
@click.option("--data", "data_dir", default="perfrules-data", show_default=True, type=click.Path(file_okay=False),
              help="数据目录：SQLite 数据库、上传的文件（按 sha256 保存）、会话密钥。")
@click.option("--db", "db_url", metavar="URL", help="数据库地址，默认为数据目录中的 SQLite；"
              "PostgreSQL 例如 postgresql+psycopg://perfrules:密码@127.0.0.1/perfrules")
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址；内网访问用本机内网 IP 或 0.0.0.0。")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="端口。")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64), help="处理请求的线程数。")
@click.option("--workers", type=click.IntRange(0, 64), default=None,
              help="评分用的工作进程数；默认为 CPU 核数（0：在请求线程中评分）。")
@click.option("--secure-cookies", is_flag=True, help="会话 Cookie 只经 HTTPS 发送（在 HTTPS 反向代理之后时使用）。")
@click.option("--proxy", type=click.IntRange(0, 5), default=0, show_default=True,
              help="前面有几层反向代理（nginx 等）：信任其 X-Forwarded-For，登录限制按真实的客户端地址计。")
@click.option("--rulesets", "ruleset_dirs", multiple=True, type=click.Path(), callback=_input_folders,
              help="额外的规则集目录（可重复；优先于 PERFRULES_PATH 和内置目录）。")
@handled
def serve_cmd(data_dir: str, db_url: str | None, host: str, port: int, threads: int, workers: int | None,
              secure_cookies: bool, proxy: int, ruleset_dirs: tuple[str, ...]) -> None:
    """在本机运行评价平台：财政局建立轮次、加入单位；单位下载自评表、上传、查看评分、送审；
    财政局复核、退回、导出。首次启动时建立财政局账号 admin，密码只显示这一次。

    \b
    例：
      perfrules serve
      perfrules serve --data D:\\绩效自评 --host 0.0.0.0 --port 8080
      perfrules serve --db postgresql+psycopg://perfrules:密码@127.0.0.1/perfrules
      perfrules serve --db postgresql+psycopg://… --data /mnt/共享/perfrules --port 8001 --proxy 1   # 省级多台
    """
    import logging
    import signal

    from waitress import serve

    from perfrules.web.app import create_app, ensure_first_account
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    import os
    _port_free(host, port)   # before the data folder and the first account are made
    app = create_app(data_dir, db_url, ruleset_dirs, secure_cookies=secure_cookies,
                     workers=(os.cpu_count() or 1) if workers is None else workers, proxy=proxy)
    password = ensure_first_account(app)
    app.extensions["perfrules"]["scorer"].start()
    if password:
        emit(f"已建立财政局账号 admin，初始密码：{password}")
        emit("此密码只显示这一次：请登录后在“修改密码”中改掉。")
    emit(f"perfrules 评价平台：http://{host}:{port}/  （数据目录 {data_dir}；按 Ctrl+C 停止）")
    def stop(_signum: int, _frame: Any) -> None:   # a service manager's SIGTERM ends it as Ctrl+C does
        raise KeyboardInterrupt
    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, stop)
    try:
        serve(app, host=host, port=port, threads=threads, ident="perfrules", max_request_body_size=16 * 1024 * 1024)
    except KeyboardInterrupt:
        emit("已停止。")
    finally:
        app.extensions["perfrules"]["scorer"].close()
        app.extensions["perfrules"]["hasher"].close()
