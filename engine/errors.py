"""Errors are data first, text second.

A `Diagnostic` says what is wrong, where (file, line, path inside the document) and what to do next.
`PerfrulesError` carries one or more diagnostics; the CLI maps it to exit code 1. Anything else that
escapes the engine is a bug (exit 3).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

PathPart = str | int
Path = tuple[PathPart, ...]


def json_path(path: Sequence[PathPart]) -> str:
    """Render a document path as `$.indicators[3].target`."""
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


@dataclass(frozen=True, slots=True)
class Location:
    file: str | None = None
    line: int | None = None
    path: Path = ()
    cell: str | None = None   # for a workbook: 绩效指标!E12 (shown as 自评表.xlsx!绩效指标!E12)

    def __str__(self) -> str:
        parts = [self.file or ""]
        if self.cell is not None:
            parts[0] += f"!{self.cell}"
        elif self.line is not None:
            parts[0] += f":{self.line}"
        if self.path:
            parts.append(json_path(self.path))
        return ": ".join(p for p in parts if p)

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"file": self.file, "line": self.line, "path": json_path(self.path)}
        if self.cell is not None:
            out["cell"] = self.cell
        return out


@dataclass(frozen=True)
class Diagnostic:
    message: str
    location: Location = field(default_factory=Location)
    hint: str | None = None
    code: str = "E-INPUT"

    def __str__(self) -> str:
        where = str(self.location)
        text = f"{where}: {self.message}" if where else self.message
        if self.hint:
            text += f"\n  提示：{self.hint}"
        return text

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
            "location": self.location.to_json(),
        }


class PerfrulesError(Exception):
    """A problem with the user's files: never a bug in the engine."""

    def __init__(self, diagnostics: Diagnostic | Iterable[Diagnostic]):
        if isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics: list[Diagnostic] = sorted(diagnostics, key=_sort_key)
        if not self.diagnostics:
            raise ValueError("PerfrulesError needs at least one diagnostic")
        super().__init__(str(self.diagnostics[0]))

    @property
    def first(self) -> Diagnostic:
        return self.diagnostics[0]

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt from its diagnostics when it crosses a process boundary (the server's scoring workers).
        return (type(self), (self.diagnostics,))


def _sort_key(d: Diagnostic) -> tuple[str, int]:
    return (d.location.file or "", d.location.line or 0)


def error(message: str, location: Location | None = None, hint: str | None = None,
          code: str = "E-INPUT") -> PerfrulesError:
    return PerfrulesError(Diagnostic(message, location or Location(), hint, code))


def human(value: object) -> str:
    """A value as a clerk would write it, never as Python would: 空, 是/否, 2024.1, 优秀、良好, {…}."""
    from decimal import Decimal
    if value is None:
        return "空"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, (list, tuple)):
        return "[" + "、".join(human(v) for v in value) + "]" if value else "空列表"
    if isinstance(value, dict):
        return "{" + "，".join(f"{k}: {human(v)}" for k, v in value.items()) + "}" if value else "空映射"
    return str(value)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`did you mean 'ratio'? (known: a, b, c)` in Chinese, for a name that is not known."""
    known = sorted(set(choices))
    import difflib
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.5)
    text = f"是否想写 '{close[0]}'？" if close else ""
    return text + f"可选：{', '.join(known)}"


def internal_message(exc: BaseException) -> str:
    """What a user is told of an exception that is no PerfrulesError: a bug of ours, said as one."""
    text = str(exc)
    if len(text) > 300:
        text = text[:300] + "…"
    return f"内部错误（{type(exc).__name__}）：{text}" if text else f"内部错误（{type(exc).__name__}）"
