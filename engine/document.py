"""A loaded file: its data, and where each value stood in it (by line, by cell, or by the file it was merged from)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import Location, Path


@dataclass
class Document:
    """A loaded file: its data, where each value stood, and what it was."""

    data: Any
    file: str
    lines: dict[Path, int] = field(default_factory=dict)
    sha256: str = ""
    encoding: str = "utf-8"
    # For a ruleset merged from its parents: where each value came from, as (file, line, path in that file).
    origins: dict[Path, tuple[str, int | None, Path]] = field(default_factory=dict)
    # For a workbook: the cell each value was read from (绩效指标!E12), by path.
    cells: dict[Path, str] = field(default_factory=dict)

    def line(self, path: Path) -> int | None:
        """The line of `path`, or of its nearest ancestor that has one."""
        while True:
            if path in self.lines:
                return self.lines[path]
            if not path:
                return None
            path = path[:-1]

    def loc(self, path: Path = ()) -> Location:
        probe = tuple(path)
        while self.cells:
            if probe in self.cells:
                return Location(self.file, self.line(path), tuple(path), self.cells[probe])
            if not probe:
                break
            probe = probe[:-1]
        probe = tuple(path)
        while self.origins:
            if probe in self.origins:   # the file, line and path the author wrote, not the merged tree's
                file, line, source = self.origins[probe]
                return Location(file, line, tuple(source) + tuple(path)[len(probe):])
            if not probe:
                break
            probe = probe[:-1]
        return Location(self.file, self.line(path), tuple(path))
