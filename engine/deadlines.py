"""Targets that are a date to finish by (the target kind of 时效指标): 2024年12月31日前, 12月底前, 年底前.

Read by targets.parse_value when a value's text ends with 前 (or 前完成): this module is loaded then, not at
start-up.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

PATTERN = re.compile(r"^(?:(?P<year>\d{4})\s*年\s*)?(?:(?P<month>\d{1,2})\s*月\s*(?:(?P<day>\d{1,2})\s*[日号]|(?P<end>底|末|份))?"
                       r"|(?P<yearend>年?[底末]))\s*(?:之前|以前|前)\s*(?:完成)?$")


@dataclass(frozen=True, slots=True)
class Deadline:
    """A target that is a date to finish by: 2024年12月31日前, 12月底前, 年底前. The year may be left to the
    submission's year; `day` None means the end of the month."""

    year: int | None
    month: int
    day: int | None

    def date(self, default_year: int) -> "dt.date":
        year = self.year or default_year
        if self.day is not None:
            return dt.date(year, self.month, self.day)
        following = dt.date(year + (self.month == 12), self.month % 12 + 1, 1)
        return following - dt.timedelta(days=1)
