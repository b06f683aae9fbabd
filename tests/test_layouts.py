"""Reports in the layouts that exist in the field, read cell by cell against a hand-written truth (issue 23):
Word files built from published templates (tests/layouts/build.py), and the same files printed to PDF by
LibreOffice. Each value is right, wrong or missed; wrong must be 0 (a value read wrong with no message is
the worst defect a reader can have), and in these layouts nothing is missed either."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from perfrules.engine.api import score_file
from perfrules.engine.formats import load_document
from perfrules.engine.formats.layout import get_path
from perfrules.engine.yamlio import load_file

from .conftest import soffice
from .layouts.build import LAYOUTS, build_docx

HERE = Path(__file__).resolve().parent / "layouts"


def same(a: object, b: object) -> bool:
    if isinstance(a, (int, float, Decimal)) or isinstance(b, (int, float, Decimal)):
        try:
            return Decimal(str(a)).normalize() == Decimal(str(b)).normalize()
        except ArithmeticError:
            return False
    return str(a).replace(" ", "") == str(b).replace(" ", "")


def measure(data: dict, truth: dict) -> dict[str, list[str]]:
    """right / wrong / missed, leaf by leaf."""
    out: dict[str, list[str]] = {"right": [], "wrong": [], "missed": []}

    def check(path: str, expected: object, got: object) -> None:
        if got is None or got == "":
            out["missed"].append(path)
        elif same(expected, got):
            out["right"].append(path)
        else:
            out["wrong"].append(f"{path}: {got!r} ≠ {expected!r}")
    for key, expected in truth.items():
        if key in ("indicators", "scores"):
            continue
        check(key, expected, get_path(data, key))
    rows = data.get("indicators") or []
    for i, row in enumerate(truth.get("indicators") or []):
        got = next((r for r in rows if r.get("name") == row["name"]), None)
        for field, expected in row.items():
            check(f"indicators[{row['name']}].{field}", expected, (got or {}).get(field))
    extra = [r.get("name") for r in rows if r.get("name") not in {t["name"] for t in truth.get("indicators") or []}]
    out["wrong"] += [f"an indicator that is no indicator: {name}" for name in extra]
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("layouts")
    return {name: build_docx(name, folder) for name in LAYOUTS}


def run_layout(path: Path, name: str):
    truth = load_file(HERE / f"{name}.truth.yaml").data
    data = load_document(path).data
    return truth, data, measure(data, truth)


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_each_word_layout_reads_every_cell_right(built, name):
    truth, data, result = run_layout(built[name], name)
    assert result["wrong"] == [] and result["missed"] == [], result
    print(f"{name}: {len(result['right'])} right, 0 wrong, 0 missed")


def test_operator_and_unit_columns_score_as_the_table_says(built, tmp_path):
    card = score_file(built["sichuan-project"])
    scores = {r.name: r.score for r in card.indicators}
    for name, expected in load_file(HERE / "sichuan-project.truth.yaml").data["scores"].items():
        assert scores[name] == expected, (name, scores[name])


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_each_layout_as_pdf_reads_every_cell_right(built, tmp_path, name):
    soffice(tmp_path, "pdf", built[name])
    truth, data, result = run_layout(tmp_path / f"{name}.pdf", name)
    assert result["wrong"] == [] and result["missed"] == [], result
