"""Damaged Office files are the user's problem, never a crash (issue 22 item 6): 2,000 byte-flip and
truncation mutants of a real 自评表 (.xlsx, and saved as .xls and .ods) and a real Word report (.docx) each; every one is read or
refused with a PerfrulesError (exit 1), none raises anything else (exit 3). A flipped byte inside a
compressed part raised zlib.error, which was not among the damaged-zip errors."""

from __future__ import annotations

import collections
import random

import pytest

from perfrules.engine.api import check_file, report_file
from perfrules.engine.errors import PerfrulesError
from perfrules.engine.formats.xlsx_form import write_workbook
from perfrules.engine.yamlio import load_file

from .conftest import SEED

MUTANTS = 2_000


def mutants(base: bytes, rng: random.Random):
    for i in range(MUTANTS):
        data = bytearray(base)
        if i % 3 == 0:
            data = data[: rng.randrange(len(data))]          # truncated
        else:
            for _ in range(rng.randint(1, 4)):                # a few bits flipped anywhere
                data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        yield bytes(data)


def _converted(tmp_path, fmt: str) -> bytes:
    """The seed's 自评表 saved by LibreOffice as .xls or .ods: the formats grid.py reads through xlrd and
    calamine (issue 26)."""
    import shutil

    from .conftest import soffice
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    source = tmp_path / "form.xlsx"
    source.write_bytes(write_workbook(load_file(SEED).data))
    soffice(tmp_path, fmt, source)
    return (tmp_path / f"form.{fmt}").read_bytes()


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["xlsx", "docx", "layout.xlsx", "xls", "ods"])
def test_every_mutant_is_read_or_refused_never_a_crash(tmp_path, fmt):
    """layout.xlsx: a published one-table form kept in Excel, read by the table model (issue 23)."""
    if fmt == "xlsx":
        base = write_workbook(load_file(SEED).data)
    elif fmt == "layout.xlsx":
        from .layouts.build import build_xlsx
        base = build_xlsx("mof2020-project", tmp_path).read_bytes()
    elif fmt in ("xls", "ods"):
        base = _converted(tmp_path, fmt)
        check_file_of = tmp_path / f"whole.{fmt}"
        check_file_of.write_bytes(base)
        check_file(check_file_of)   # the unmutated file reads
    else:
        report_file(SEED, tmp_path / "seed.docx")
        base = (tmp_path / "seed.docx").read_bytes()
    outcomes: collections.Counter[str] = collections.Counter()
    crashes = []
    path = tmp_path / f"mutant.{fmt}"
    for i, data in enumerate(mutants(base, random.Random(fmt))):
        path.write_bytes(data)
        try:
            check_file(path)
            outcomes["read"] += 1
        except PerfrulesError as exc:
            outcomes[exc.first.code] += 1
        except Exception as exc:  # noqa: BLE001 - what the test is looking for
            crashes.append((i, type(exc).__name__, str(exc)[:120]))
    assert not crashes, crashes[:5]
    assert sum(outcomes.values()) == MUTANTS, outcomes
    if fmt != "xls":   # a flipped bit in a binary .xls often changes a value, not the structure: read, not refused
        assert outcomes["E-FORMAT"] > MUTANTS // 2, outcomes
