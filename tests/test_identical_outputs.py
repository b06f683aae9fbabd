"""Outputs that must not change when the engine is made faster: the scorecards (JSON, with findings) of the
shipped example and of 2,000 generated submissions under the rulesets that apply to them, byte for byte.

The example's scorecard is a reviewed golden file (tests/golden/scorecard-zizhou.json); the generated ones
are held by a digest (tests/golden/scorecards-2000.sha256), since 2,000 scorecards are no file to review.
A change that moves a digest on purpose (a new finding, a fixed score) updates it in the same commit and
says why; a speed-up never does.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from bench.generate import generate
from perfrules.engine.api import check, ruleset_for
from perfrules.engine.errors import PerfrulesError
from perfrules.engine.scorecard import dumps
from perfrules.engine.submission import load_submission

from .conftest import SEED

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("PERFRULES_UPDATE_GOLDEN") == "1"


def scorecard_json(path: Path, name: str) -> str:
    try:
        sub = load_submission(path, name)
        return dumps(check(sub, ruleset_for(sub, None)).to_json())
    except PerfrulesError as exc:
        return dumps({"error": [d.to_json() for d in exc.diagnostics]})


def test_the_example_scorecard_is_unchanged():
    text = scorecard_json(SEED, "examples/zizhou-hrss-2024.yaml")
    golden = GOLDEN / "scorecard-zizhou.json"
    if UPDATE:
        golden.write_text(text + "\n", encoding="utf-8")
    assert text + "\n" == golden.read_text(encoding="utf-8")


def assert_digest_of_scorecards(files: list[Path], golden: Path) -> None:
    """The scorecards of `files`, in order, held by one digest (rewritten with PERFRULES_UPDATE_GOLDEN=1)."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(scorecard_json(path, path.name).encode("utf-8"))
    if UPDATE:
        golden.write_text(digest.hexdigest() + "\n", encoding="utf-8")
    assert digest.hexdigest() == golden.read_text(encoding="utf-8").strip()


@pytest.mark.slow
def test_two_thousand_generated_scorecards_are_unchanged(tmp_path):
    assert_digest_of_scorecards(generate(2000, tmp_path / "units", seed=7), GOLDEN / "scorecards-2000.sha256")


BATCH_GOLDEN = GOLDEN / "batch-2000.sha256"


@pytest.mark.slow
def test_the_batch_summaries_of_two_thousand_generated_submissions_are_unchanged(tmp_path, monkeypatch):
    """The county summaries, in every format, byte for byte. The batch path has shortcuts of its own (rows
    without detail for CSV and JSON, the CSV kept encoded, duplicates found by digest, summary figures
    formatted uncached, worker processes); the digests were taken from the engine before them."""
    from perfrules.cli import main

    monkeypatch.chdir(tmp_path)
    generate(2000, Path("units"), seed=7)
    digests = {}
    for suffix in (".csv", ".json", ".xlsx", ".html"):
        with pytest.raises(SystemExit) as ended:   # 4: the generated corpus has broken files on purpose
            main(["batch", "units", "-o", f"summary{suffix}", "--jobs", "2"])
        assert ended.value.code == 4
        digests[suffix] = hashlib.sha256(Path(f"summary{suffix}").read_bytes()).hexdigest()
    text = "".join(f"{suffix} {digest}\n" for suffix, digest in digests.items())
    if UPDATE:
        BATCH_GOLDEN.write_text(text, encoding="utf-8")
    assert text == BATCH_GOLDEN.read_text(encoding="utf-8")


ODD_GOLDEN = GOLDEN / "scorecards-odd-numbers.sha256"
ODD_SPELLINGS = ("0.0", "0", "10.0", "1e1", "5.00", "0.00", "-0", "3.50", "2.5e0", "100.0")


@pytest.mark.slow
def test_scorecards_with_odd_number_spellings_are_unchanged(tmp_path):
    """Points and own scores written as 0.0, 1e1, -0 or 5.00: a sum's exponent is printed in the JSON, so a
    shortcut that skips adding a zero, or clips a score in another order, shows here. 400 generated
    submissions with a third of their points and own scores respelled; the digest was taken from the engine
    before this session's shortcuts."""
    import random
    import re

    rng = random.Random(3)
    files = generate(400, tmp_path / "units", seed=11)
    for path in files:
        path.write_text(re.sub(r"((?:points|self_score): )\d+(?:\.\d+)?",
                               lambda m: m.group(1) + rng.choice(ODD_SPELLINGS) if rng.random() < 0.3 else m.group(0),
                               path.read_text(encoding="utf-8")), encoding="utf-8")
    assert_digest_of_scorecards(files, ODD_GOLDEN)


REPLAY_GOLDEN = GOLDEN / "replay-2000.sha256"


@pytest.mark.slow
def test_the_replays_of_two_thousand_generated_submissions_are_unchanged(tmp_path, monkeypatch):
    """`replay` takes totals and grades from the numbers-only plan where it answers (engine/plan.py); its
    outputs are the scorer's to the byte. The digests were taken from the engine before the plan."""
    from perfrules.cli import main

    monkeypatch.chdir(tmp_path)
    generate(2000, Path("units"), seed=7)
    lines = []
    for against in ("shaanxi/zizhou-unit-overall@2025.1", "example/platform-caps@2025.1"):
        for suffix in (".csv", ".json"):
            with pytest.raises(SystemExit) as ended:   # 4: the corpus has broken files on purpose
                main(["replay", "units", "--against", against, "-o", f"replay{suffix}"])
            assert ended.value.code == 4
            lines.append(f"{against} {suffix} {hashlib.sha256(Path(f'replay{suffix}').read_bytes()).hexdigest()}\n")
    if UPDATE:
        REPLAY_GOLDEN.write_text("".join(lines), encoding="utf-8")
    assert "".join(lines) == REPLAY_GOLDEN.read_text(encoding="utf-8")
