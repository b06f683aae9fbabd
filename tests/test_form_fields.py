"""The 自评表 carries what the checks read (issue 21 item 7): every field any shipped check reads has a cell
in the form, and a form filled in by hand (no YAML in 附加数据) gets the same findings as the same content in
YAML."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from openpyxl import load_workbook

from perfrules.engine.api import check_file
from perfrules.engine.checks import KINDS
from perfrules.engine.formats import layout as L
from perfrules.engine.formats.xlsx_form import write_workbook
from perfrules.engine.ruleset import get_ruleset, index, search_path
from perfrules.engine.yamlio import load_file

from .conftest import SEED


def shipped_checks():
    path = search_path()
    for ref in sorted({f"{entry.id}@{entry.version}" for entry in index(path)}):
        rs = get_ruleset(ref, path)
        for check in rs.checks:
            yield ref, check


def test_every_field_a_shipped_check_reads_has_a_cell_in_the_form():
    missing = []
    for ref, check in shipped_checks():
        fields = list(check.kind.reads) + [str(f) for f in check.params.get("fields") or []]
        missing += [(ref, check.kind.name, f) for f in fields if not L.form_has(f)]
    assert not missing, missing


def test_every_check_kind_says_what_it_reads():
    assert all(kind.reads for kind in KINDS.values()), [k for k, v in KINDS.items() if not v.reads]


def hand_filled(tmp_path: Path) -> Path:
    """The seed as a unit would type it into the form: every sheet but 附加数据, which is emptied."""
    path = tmp_path / "自评表.xlsx"
    path.write_bytes(write_workbook(load_file(SEED).data))
    wb = load_workbook(path)
    ws = wb[L.EXTRA]
    for row in ws.iter_rows(min_row=3):
        for cell in row:
            cell.value = None
    wb.save(path)
    return path


def test_a_hand_filled_form_gets_the_findings_the_yaml_gets(tmp_path):
    from_yaml = Counter(f.code for f in check_file(SEED).findings)
    from_form = Counter(f.code for f in check_file(hand_filled(tmp_path)).findings)
    assert from_form == from_yaml
    for code in ("C-FINANCE", "C-ASSETS", "C-OTHER-YEAR", "C-STATED-CATEGORY"):
        assert from_form[code], code


def test_the_stated_figures_point_at_their_cells(tmp_path):
    card = check_file(hand_filled(tmp_path))
    where = {f.code: f.location.cell for f in card.findings}
    assert where["C-ASSETS"].startswith(L.ASSETS + "!") and where["C-OTHER-YEAR"].startswith(L.FINANCE + "!")
