"""Zip files written the same way every time (the workbooks perfrules writes): a layer below the readers and
the writers, so that both may use it."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import zipfile


def fixed_time() -> dt.datetime:
    """The time stamped into a written workbook: SOURCE_DATE_EPOCH's day when set, else 2000-01-01."""
    from .dates import today
    day = today() if os.environ.get("SOURCE_DATE_EPOCH") else dt.date(2000, 1, 1)
    return dt.datetime(day.year, day.month, day.day)


def deterministic_zip(data: bytes) -> bytes:
    """openpyxl stamps the zip entries, and docProps/core.xml's `modified`, with the time of saving;
    rewrite both with a fixed time so that the same inputs give the same bytes."""
    stamp = fixed_time().strftime("%Y-%m-%dT%H:%M:%SZ").encode("ascii")
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in sorted(src.infolist(), key=lambda i: i.filename):
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)", rb"\g<1>" + stamp + rb"\g<2>",
                                 content)
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, content)
    return out.getvalue()


# How the two kinds of evaluation are said to people; here, below the readers and the Submission, so that
# both use the same words.
KIND_LABELS = {"unit-overall": "部门整体", "project": "项目"}
