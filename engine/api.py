"""The engine's front door: what the CLI (and any other caller) uses. No printing, no exiting."""

from __future__ import annotations

from pathlib import Path as FsPath
from typing import Iterable

from .ruleset import Ruleset, choose, get_ruleset, search_path
from .scorecard import Scorecard
from .scoring import score
from .submission import Submission, load_submission


def ruleset_for(sub: Submission, ref: str | None, dirs: Iterable[str | FsPath] = ()) -> Ruleset:
    """--ruleset wins; then the ruleset the submission names; then the applicable one by kind and year."""
    path = search_path(dirs)
    wanted = ref or sub.ruleset
    if wanted:
        return get_ruleset(wanted, path)
    return choose(sub.kind, sub.year, sub.region, path)


def score_file(file: str | FsPath, ref: str | None = None, dirs: Iterable[str | FsPath] = ()) -> Scorecard:
    sub = load_submission(file)
    return score(sub, ruleset_for(sub, ref, dirs))
