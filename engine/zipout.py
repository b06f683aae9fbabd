"""Zip files written the same way every time (the workbooks perfrules writes): a layer below the readers and
the writers, so that both may use it."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from typing import Any


def fixed_time() -> dt.datetime:
    """The time stamped into a written workbook: SOURCE_DATE_EPOCH's day when set, else 2000-01-01."""
    from .dates import today
    day = today() if os.environ.get("SOURCE_DATE_EPOCH") else dt.date(2000, 1, 1)
    return dt.datetime(day.year, day.month, day.day)


def deterministic_zip(data: bytes) -> bytes:
    """openpyxl stamps the zip entries, and docProps/core.xml's `modified`, with the time of saving;
    rewrite both with a fixed time so that the same inputs give the same bytes."""
    out = io.BytesIO()
    rewrite_zip(io.BytesIO(data), out)
    return out.getvalue()


def rewrite_zip(source: Any, target: Any, rows: dict[str, Any] | None = None, chunk: int = 1 << 20) -> None:
    """deterministic_zip from one file object to another, each member streamed in chunks: a province's
    county workbook (hundreds of MB of sheet XML) is never held in memory. Bytes equal to writestr's: the
    member's size is set before it is written, as writestr sets it. `rows` maps a worksheet member to a file
    of row XML to put in before its `</sheetData>` (the county workbook's rows: engine/sinks.py)."""
    import shutil
    import zipfile   # here: `score` imports this module for KIND_LABELS and never writes a zip
    stamp = fixed_time().strftime("%Y-%m-%dT%H:%M:%SZ").encode("ascii")
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in sorted(src.infolist(), key=lambda i: i.filename):
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)", rb"\g<1>" + stamp + rb"\g<2>",
                                 src.read(info.filename))
                dst.writestr(fixed, content)
                continue
            if rows and info.filename in rows:
                _splice(src, info, fixed, dst, rows[info.filename], chunk)
                continue
            fixed.file_size = info.file_size
            with src.open(info) as reader, dst.open(fixed, "w") as writer:
                shutil.copyfileobj(reader, writer, chunk)


def _splice(src: Any, info: Any, fixed: Any, dst: Any, rows: Any, chunk: int) -> None:
    import shutil
    """A worksheet member with the XML in the file `rows` put in before its `</sheetData>`."""
    content = src.read(info.filename)   # a sheet as openpyxl saved it: the header row alone, a few KB
    end = content.rindex(b"</sheetData>")
    fixed.file_size = len(content) + os.path.getsize(rows)
    with open(rows, "rb") as reader, dst.open(fixed, "w") as writer:
        writer.write(content[:end])
        shutil.copyfileobj(reader, writer, chunk)
        writer.write(content[end:])


# How the two kinds of evaluation are said to people; here, below the readers and the Submission, so that
# both use the same words.
KIND_LABELS = {"unit-overall": "部门整体", "project": "项目"}
