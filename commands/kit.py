"""What every perfrules command shares: exit codes, the one error boundary (`handled`), the common options,
JSON output, and the click classes of the command tree (help texts joined for Chinese: `_joined`)."""

from __future__ import annotations

import functools
import sys
from typing import Any, Callable

import click

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
            _fail(error("没有读取目录的权限", Location(folder), "检查目录的权限", code="E-IO"))
    return value


# `batch` and `replay` read a county: how many processes (engine/processes.py), said once for both.
jobs_option = click.option("-j", "--jobs", type=click.IntRange(1, 64),
                           help="并行进程数；默认为本机可用的 CPU 核数，最多 4（无法另开进程时在本进程内评分）。")


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
    """A double-width character (Chinese, its full-width punctuation): the same test the terminal tables use."""
    import unicodedata
    return unicodedata.east_asian_width(ch) in ("W", "F")


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


def _dumps(value: Any) -> str:
    from perfrules.engine.scorecard import dumps
    return dumps(value) + "\n"


def _json(value: Any) -> None:
    from perfrules.engine.scorecard import dumps
    emit(dumps(value))
