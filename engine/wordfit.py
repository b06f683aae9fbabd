"""Column widths of a Word report's tables, from their content.

A word processor breaks a line inside a number when the column is narrower than the number: LibreOffice
printed `559.` / `03` and `98` / `%` in columns the template drew 34 pt wide. Here every table's columns are
set from what their cells hold: each column at least as wide as the widest unbreakable token of any of its
cells (a number, a percentage, a date, a Latin word), and the rest of the table's width shared out by how
much text each column has. Widths are estimated from the characters (a CJK character is 1 em; a digit or
Latin letter at most 0.6 em; a few wide symbols more), on the generous side, so that a token fits in Word,
WPS and LibreOffice alike.

The floats here are page geometry (points and twips of a column), never a score or an amount: those reach
the document as text already formatted by the engine, from Decimal.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

__all__ = ["fit_columns", "token_width_pt", "tokens"]

TWIPS_PER_PT = 20
DEFAULT_SIZE_PT = 11.0        # the docDefaults of our templates (w:sz 22)
DEFAULT_CELL_MARGIN = 108     # twips, each side: Word's default left and right cell margin
NARROW_CELL_MARGIN = 57       # twips (1 mm), each side, in a table too wide for the page
SLACK_PT = 3.0                # rounding between applications' font metrics
MIN_COLUMN_EM = 2.0           # a column of CJK text is never narrower than two characters
TIGHT = 0.8                   # a table whose least widths pass this share of the page is made narrower first
MIN_SIZE_PT = 7.5             # a table too wide for the page is set smaller, down to this size
MAX_DESIRE_EM = 40.0          # a long paragraph in a cell asks for no more than this

# What never breaks: a date (2025年3月10日), a number with its sign, operator and unit symbols (≥90%, 559.03,
# -1,000.5, 100‰), and any run of Latin letters, digits and ASCII punctuation (E12, sha256:…).
_DATE = r"\d{4}\s*年\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?"
_LATIN = r"[!-~≥≤＞＜＝±×÷%‰°℃·—–]+"
_TOKEN = re.compile(f"{_DATE}|{_LATIN}")
# Punctuation that may not start a line: a CJK character before it is kept with it.
_NO_START = "，。、；：！？）》」』】〕…％%"
_WIDE_SYMBOLS = {"%": 1.0, "‰": 1.0, "≥": 1.0, "≤": 1.0, "＞": 1.0, "＜": 1.0, "＝": 1.0, "—": 1.0, "M": 0.9,
                 "W": 1.0, "m": 0.9, "w": 0.8, "@": 1.0}


def _char_em(ch: str) -> float:
    if ch in _WIDE_SYMBOLS:
        return _WIDE_SYMBOLS[ch]
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return 1.0
    if ch == " ":
        return 0.35
    return 0.65


def token_width_pt(token: str, size_pt: float) -> float:
    return sum(_char_em(ch) for ch in token) * size_pt


def tokens(text: str) -> list[str]:
    """The pieces of `text` a line may not be broken inside: dates, numbers with their symbols, Latin runs,
    and a CJK character together with the punctuation that may not start a line after it."""
    out = [m.group(0) for m in _TOKEN.finditer(text)]
    rest = _TOKEN.sub(" ", text)
    for i, ch in enumerate(rest):
        if ch.isspace() or ch in _NO_START:
            continue
        tail = ""
        j = i + 1
        while j < len(rest) and rest[j] in _NO_START:
            tail += rest[j]
            j += 1
        out.append(ch + tail)
    return out


def _qn(tag: str) -> str:
    from docx.oxml.ns import qn
    return qn(tag)


def _span(tc: Any) -> int:
    pr = tc.find(_qn("w:tcPr"))
    span = pr.find(_qn("w:gridSpan")) if pr is not None else None
    try:
        return max(1, int(span.get(_qn("w:val")))) if span is not None else 1
    except (TypeError, ValueError):
        return 1


def _size_pt(tc: Any, base: float) -> float:
    """The largest font size of the cell's runs; a run with no size of its own is at the base size."""
    sizes = []
    for run in tc.iter(_qn("w:r")):
        sz = run.find(f"{_qn('w:rPr')}/{_qn('w:sz')}")
        value = sz.get(_qn("w:val")) if sz is not None else None
        sizes.append(int(value) / 2 if value and value.isdigit() else base)
    return max(sizes) if sizes else base


def base_size_pt(document: Any) -> float:
    """The size a run takes when nothing sets one: the Normal style's, else the document default's."""
    try:
        size = document.styles["Normal"].font.size
        if size is not None:
            return float(size.pt)
    except KeyError:
        pass
    defaults = document.styles.element.find(f"{_qn('w:docDefaults')}/{_qn('w:rPrDefault')}/{_qn('w:rPr')}/{_qn('w:sz')}")
    value = defaults.get(_qn("w:val")) if defaults is not None else None
    return int(value) / 2 if value and value.isdigit() else DEFAULT_SIZE_PT


def _paragraph_texts(tc: Any) -> list[str]:
    out = []
    for p in tc.iter(_qn("w:p")):
        out.append("".join(t.text or "" for t in p.iter(_qn("w:t"))))
    return out


def _cell_margins(tbl: Any) -> int:
    pr = tbl.find(_qn("w:tblPr"))
    mar = pr.find(_qn("w:tblCellMar")) if pr is not None else None
    if mar is None:
        return 2 * DEFAULT_CELL_MARGIN
    total = 0
    for side, alt in (("w:left", "w:start"), ("w:right", "w:end")):
        el = mar.find(_qn(side))
        if el is None:
            el = mar.find(_qn(alt))
        try:
            total += int(el.get(_qn("w:w"))) if el is not None else DEFAULT_CELL_MARGIN
        except (TypeError, ValueError):
            total += DEFAULT_CELL_MARGIN
    return total


def column_needs(tbl: Any, base: float = DEFAULT_SIZE_PT) -> tuple[list[int], list[float], list[float]]:
    """(the grid's widths in twips, each column's least width and its wanted width, in twips)."""
    grid_el = tbl.find(_qn("w:tblGrid"))
    cols = list(grid_el.iter(_qn("w:gridCol"))) if grid_el is not None else []
    widths = [int(c.get(_qn("w:w")) or 0) for c in cols]
    margin = _cell_margins(tbl)
    least = [0.0] * len(widths)
    wanted = [0.0] * len(widths)
    for tr in tbl.iter(_qn("w:tr")):
        col = 0
        for tc in tr.iter(_qn("w:tc")):
            if tc.getparent() is not tr:
                continue   # a table nested in a cell lays out inside its cell
            span = _span(tc)
            if col >= len(widths):
                break
            size = _size_pt(tc, base)
            texts = _paragraph_texts(tc)
            pieces = [t for text in texts for t in tokens(text)]
            need = max((token_width_pt(t, size) for t in pieces), default=0.0)
            need = max(need, MIN_COLUMN_EM * size) + SLACK_PT
            whole = min(max((token_width_pt(text, size) for text in texts), default=0.0), MAX_DESIRE_EM * size)
            if span == 1:
                least[col] = max(least[col], need * TWIPS_PER_PT + margin)
                wanted[col] = max(wanted[col], whole * TWIPS_PER_PT + margin)
            col += span
    return widths, least, wanted


def fit_columns(document: Any, text_width: int | None = None) -> None:
    """Set every table's column widths from its content (see the module's docstring)."""
    if text_width is None:
        section = document.sections[-1]
        text_width = int(section.page_width - section.left_margin - section.right_margin) // 635   # EMU → twips
    base = base_size_pt(document)
    for table in document.tables:
        _fit(table._tbl, text_width, base)


def _shrink(tbl: Any, base: float, factor: float) -> None:
    """Set every run of the table to `factor` of its size, no smaller than MIN_SIZE_PT."""
    for run in tbl.iter(_qn("w:r")):
        pr = run.find(_qn("w:rPr"))
        if pr is None:
            pr = run.makeelement(_qn("w:rPr"), {})
            run.insert(0, pr)
        sz = pr.find(_qn("w:sz"))
        current = int(sz.get(_qn("w:val"))) / 2 if sz is not None and (sz.get(_qn("w:val")) or "").isdigit() else base
        half_points = str(max(int(MIN_SIZE_PT * 2), int(current * factor * 2)))
        for tag in ("w:sz", "w:szCs"):
            el = pr.find(_qn(tag))
            if el is None:
                el = pr.makeelement(_qn(tag), {})
                pr.append(el)
            el.set(_qn("w:val"), half_points)


def _set_cell_margins(tbl: Any, twips: int) -> None:
    pr = tbl.find(_qn("w:tblPr"))
    mar = pr.find(_qn("w:tblCellMar"))
    if mar is None:
        mar = pr.makeelement(_qn("w:tblCellMar"), {})
        layout = pr.find(_qn("w:tblLayout"))   # schema order: … tblLayout, tblCellMar, tblLook
        (layout.addnext if layout is not None else pr.append)(mar)
    for side in ("w:left", "w:right"):
        el = mar.find(_qn(side))
        if el is None:
            el = mar.makeelement(_qn(side), {})
            mar.append(el)
        el.set(_qn("w:w"), str(twips))
        el.set(_qn("w:type"), "dxa")


def _fit(tbl: Any, text_width: int, base: float) -> None:
    widths, least, wanted = column_needs(tbl, base)
    if not widths:
        return
    if sum(least) > TIGHT * text_width:
        # Too many columns for the page: narrower cell margins first, then smaller text, so that the least
        # widths leave room for the columns of text; never a number split.
        _set_cell_margins(tbl, NARROW_CELL_MARGIN)
        widths, least, wanted = column_needs(tbl, base)
        for _ in range(4):
            margins = _cell_margins(tbl) * len(widths)
            if sum(least) <= TIGHT * text_width or sum(least) <= margins:
                break
            _shrink(tbl, base, 0.98 * (TIGHT * text_width - margins) / (sum(least) - margins))
            widths, least, wanted = column_needs(tbl, base)
    total = max(sum(widths), 1)
    lows = [max(low, 1.0) for low in least]
    target = max(min(total, text_width), sum(lows)) if sum(lows) <= text_width else sum(lows)
    extra = target - sum(lows)
    room = [max(w - low, 0.0) for w, low in zip(wanted, lows)]
    weights = room if sum(room) > 0 else [float(w) for w in widths]
    share = sum(weights) or 1.0
    new = [int(low + extra * w / share) for low, w in zip(lows, weights)]
    grid_el = tbl.find(_qn("w:tblGrid"))
    for col, width in zip(grid_el.iter(_qn("w:gridCol")), new):
        col.set(_qn("w:w"), str(width))
    for tr in tbl.iter(_qn("w:tr")):
        col = 0
        for tc in tr.iter(_qn("w:tc")):
            if tc.getparent() is not tr:
                continue
            span = _span(tc)
            width = sum(new[col:col + span])
            col += span
            pr = tc.find(_qn("w:tcPr"))
            if pr is None:
                pr = tc.makeelement(_qn("w:tcPr"), {})
                tc.insert(0, pr)
            tcw = pr.find(_qn("w:tcW"))
            if tcw is None:
                tcw = pr.makeelement(_qn("w:tcW"), {})
                pr.insert(0, tcw)
            tcw.set(_qn("w:w"), str(width))
            tcw.set(_qn("w:type"), "dxa")
