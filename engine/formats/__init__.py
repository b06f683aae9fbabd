"""Readers and writers of the files units hold: one layer between a file and the Submission model.

A reader turns a file into a `Document` (data plus where each value came from); nothing downstream knows
which format it came from. YAML and JSON are read by engine.yamlio; Excel workbooks by xlsx.py; Word
reports by docx_import.py. Old binary formats (.xls, .doc, WPS .et) get a message saying what to do, and
.doc is converted through LibreOffice when `soffice` is on PATH.
"""

from __future__ import annotations

from pathlib import Path as FsPath

from ..errors import Location, error
from ..files import display_path
from ..yamlio import Document, load_file

TEXT_SUFFIXES = (".yaml", ".yml", ".json")
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
WORD_SUFFIXES = (".docx",)
OLD_SUFFIXES = (".xls", ".et", ".doc", ".wps")
SUBMISSION_SUFFIXES = TEXT_SUFFIXES + WORKBOOK_SUFFIXES + WORD_SUFFIXES + OLD_SUFFIXES


def load_document(path: str | FsPath, display_name: str | None = None) -> Document:
    """The document of a submission file, whatever its format (by its extension)."""
    p = FsPath(path)
    name = display_name or str(path)
    suffix = p.suffix.lower()
    if suffix in WORKBOOK_SUFFIXES:
        from .xlsx import read_workbook
        _must_be_regular(p, name)
        return read_workbook(p, name)
    if suffix in WORD_SUFFIXES:
        from .docx_import import import_document
        _must_be_regular(p, name)
        return import_document(p, name).document
    if suffix == ".doc":
        from .docx_import import import_legacy_doc
        _must_be_regular(p, name)
        return import_legacy_doc(p, name).document
    if suffix in OLD_SUFFIXES:
        raise error(f"{suffix} 是旧的二进制表格格式，perfrules 不读取", Location(display_path(name)),
                    "用 Excel、WPS 或 LibreOffice 打开，另存为 .xlsx（Excel 工作簿）后再试", code="E-FORMAT")
    return load_file(p, display_name)


def _must_be_regular(path: FsPath, name: str) -> None:
    """The same refusal as for text files: only regular files, before any library opens them."""
    from ..files import require_regular
    require_regular(path, name)
