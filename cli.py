"""perfrules command line: parses arguments, calls the engine, prints, maps errors to exit codes.

Exit codes: 0 ok; 1 a problem with the user's files; 2 usage; 3 an internal bug (traceback with --debug);
4 (`check` only) the file was checked and error findings exist.
"""

from __future__ import annotations

import functools
import sys
import traceback
from typing import Any, Callable

import click

from engine import __version__
from engine.errors import PerfrulesError

EXIT_OK, EXIT_USER, EXIT_USAGE, EXIT_BUG, EXIT_FINDINGS = 0, 1, 2, 3, 4


def emit(text: str, err: bool = False) -> None:
    click.echo(text.rstrip("\n"), err=err)


def _report_user_error(exc: PerfrulesError, fmt: str, command: str) -> None:
    if fmt == "json":
        from engine.scorecard import dumps
        emit(dumps({"ok": False, "errors": [d.to_json() for d in exc.diagnostics]}))
        return
    emit(f"错误：{exc.first}", err=True)
    more = len(exc.diagnostics) - 1
    if more and command != "check":
        emit(f"另有 {more} 个问题；用 perfrules check 或 perfrules rulesets check 查看全部。", err=True)
    elif more:
        for d in exc.diagnostics[1:]:
            emit(f"错误：{d}", err=True)


def handled(func: Callable[..., Any]) -> Callable[..., Any]:
    """One place that turns the engine's errors into messages and exit codes."""
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        fmt = kwargs.get("output_format", "text")
        debug = kwargs.pop("debug", False)
        try:
            return func(*args, **kwargs)
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
        except Exception as exc:  # noqa: BLE001 - the last line of defence: a bug, said as one
            if debug:
                traceback.print_exc()
            emit(f"内部错误（这是 perfrules 的缺陷，不是您文件的问题）：{type(exc).__name__}: {exc}\n"
                 "请用 --debug 重新运行并把输出附在问题报告里。", err=True)
            sys.exit(EXIT_BUG)
    return wrapper


def common(func: Callable[..., Any]) -> Callable[..., Any]:
    """The options every command shares: output format, ruleset search path, debug."""
    func = click.option("--debug", is_flag=True, help="出现内部错误时打印调用栈。")(func)
    func = click.option("--rulesets", "ruleset_dirs", multiple=True, type=click.Path(file_okay=False),
                        help="额外的规则集目录（可重复；优先于 PERFRULES_PATH 和内置目录）。")(func)
    func = click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
                        show_default=True, help="输出格式。")(func)
    return func


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="perfrules")
def main() -> None:
    """perfrules：预算绩效自评的声明式评分引擎。

    用版本化的 YAML 规则集给单位的绩效自评表评分、核对并出具报告。

    \b
    例：
      perfrules score examples/zizhou-hrss-2024.yaml
      perfrules score examples/zizhou-hrss-2024.yaml --ruleset cn/project@2020.1 --format json
    """


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
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
    from engine.api import score_file
    card = score_file(file, ruleset_ref, ruleset_dirs)
    if output_format == "json":
        from engine.scorecard import dumps
        emit(dumps(card.to_json()))
    else:
        from engine.textout import scorecard
        emit(scorecard(card))


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
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
    from engine.api import check_file
    card = check_file(file, ruleset_ref, ruleset_dirs)
    if output_format == "json":
        from engine.scorecard import dumps
        emit(dumps({"ok": True, "file": card.file, "ruleset": f"{card.ruleset_id}@{card.ruleset_version}",
                    "total": card.total, "grade": card.grade, "counts": card.counts(),
                    "findings": [f.to_json() for f in card.findings]}))
    else:
        from engine.textout import findings
        emit(f"{card.file} · 规则集 {card.ruleset_id}@{card.ruleset_version} · 规则得分 {card.total}（{card.grade}）")
        emit(findings(card.findings))
    counts = card.counts()
    if counts["error"] or (strict and counts["warning"]):
        sys.exit(EXIT_FINDINGS)


if __name__ == "__main__":
    main()
