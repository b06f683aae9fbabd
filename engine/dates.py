"""Dates as real tables write them: 2025-03-10, 2025/3/10, 2025.3.10, 2025年3月10日, 2025 年 3 月 10 日."""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata

_DATE = re.compile(r"^\s*(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*(?:[-/.]|月)\s*(\d{1,2})\s*日?\s*$")


def parse_date(text: str | None) -> dt.date | None:
    """The date, or None when the text is blank or not a date (the caller decides whether that matters)."""
    if not text:
        return None
    match = _DATE.match(unicodedata.normalize("NFKC", str(text)))
    if not match:
        return None
    try:
        return dt.date(*(int(g) for g in match.groups()))
    except ValueError:
        return None


def cn_date(day: dt.date) -> str:
    """The one date style of messages and reports: 2025年3月12日."""
    return f"{day.year}年{day.month}月{day.day}日"


def today() -> dt.date:
    """Today's date for everything perfrules prints or decides by the day: SOURCE_DATE_EPOCH when it is set
    (reproducible builds, and the test suite, which pins it), else the machine's local date. The one clock
    of the engine: nothing else calls date.today()."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date()
    return dt.date.today()
