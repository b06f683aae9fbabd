"""The engine's front door: what the CLI (and any other caller) uses. No printing, no exiting."""

from __future__ import annotations

from pathlib import Path as FsPath
from typing import Iterable

from .checks import Context, run_checks
from .ruleset import Ruleset, choose, get_ruleset, search_path
from .scorecard import Finding, Scorecard
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


def check(sub: Submission, rs: Ruleset) -> Scorecard:
    """Score, then run the ruleset's consistency checks; the findings of both, sorted by location."""
    card = score(sub, rs)
    ctx = Context(sub, card, rs.tolerance, rs.grade_of, rs.grade_named, rs.category_named)
    card.findings = sorted(card.findings + run_checks(rs.checks, ctx), key=Finding.sort_key)
    return card


def check_file(file: str | FsPath, ref: str | None = None, dirs: Iterable[str | FsPath] = ()) -> Scorecard:
    sub = load_submission(file)
    return check(sub, ruleset_for(sub, ref, dirs))
