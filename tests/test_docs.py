"""Every CLI command has help with a runnable example and is documented; every method and check kind is in
the ruleset guide. (After sqlite-utils' tests/test_docs.py.)"""

import shlex

import click
import pytest

from perfrules.cli import main
from perfrules.engine import checks, methods

from .conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
GUIDE = (ROOT / "docs" / "ruleset-guide.md").read_text(encoding="utf-8")


def commands(group: click.Group = main, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    out = []
    for name, cmd in sorted(group.commands.items()):
        out.append((prefix + (name,), cmd))
        if isinstance(cmd, click.Group):
            out += commands(cmd, prefix + (name,))
    return out


ALL = commands()


@pytest.mark.parametrize("path,cmd", ALL, ids=[" ".join(p) for p, _ in ALL])
def test_command_has_help_with_an_example(runner, path, cmd):
    result = runner.invoke(main, [*path, "--help"])
    assert result.exit_code == 0
    assert "例：" in result.output, f"perfrules {' '.join(path)} --help has no example"
    assert f"perfrules {' '.join(path)}" in result.output


@pytest.mark.parametrize("path", [()] + [p for p, _ in ALL], ids=["perfrules"] + [" ".join(p) for p, _ in ALL])
def test_help_has_no_stray_gap_between_chinese_characters(runner, path):
    """click rewraps a paragraph by joining its source lines with a space: between two Chinese characters
    that is a gap a reader sees (“JSON、 自评表”)."""
    import re
    result = runner.invoke(main, [*path, "--help"], terminal_width=400)
    cmd = main
    for name in path:
        cmd = cmd.commands[name]
    written = cmd.help or ""   # a space the author wrote (“说明和 文件:行号”) is meant
    gaps = [g for g in re.findall(r"[\u4e00-\u9fff、，。；：（）“”] [\u4e00-\u9fff（）“”]", result.output) if g not in written]
    assert not gaps, gaps


@pytest.mark.parametrize("path,cmd", ALL, ids=[" ".join(p) for p, _ in ALL])
def test_command_is_in_the_readme(path, cmd):
    assert f"perfrules {' '.join(path)}" in README


def help_examples() -> list[list[str]]:
    """The examples in the help texts that need no output file or extra folder: they must run."""
    runnable = []
    for path, cmd in ALL:
        if path == ("serve",):   # runs until stopped: the server's tests start it in a thread instead
            continue
        for line in (cmd.help or "").splitlines():
            line = line.strip()
            if line.startswith("perfrules ") and not any(x in line for x in (">", "|", "-o ", "units/", "./", "other/")):
                runnable.append(shlex.split(line)[1:])
    return runnable


@pytest.mark.parametrize("args", help_examples(), ids=lambda a: " ".join(a))
def test_help_examples_run(runner, args, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = runner.invoke(main, args)
    assert result.exit_code in (0, 4), result.output     # 4: check found (real) problems in the seed


@pytest.mark.parametrize("name", sorted(methods.REGISTRY))
def test_every_method_is_in_the_guide(name):
    assert f"### `{name}`" in GUIDE


@pytest.mark.parametrize("name", sorted(checks.KINDS))
def test_every_check_kind_is_in_the_guide(name):
    assert f"| `{name}` [" in GUIDE


def test_guides_exist():
    for doc in ("ruleset-guide.md", "template-guide.md", "submission-format.md", "serve-guide.md"):
        assert (ROOT / "docs" / doc).stat().st_size > 2000
