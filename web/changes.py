"""What changed between two versions of a unit's upload (issue 25 items 3 and 4): the values, the rule's
scores and the findings, row by row; and whether a file names the account's own unit."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

FIELDS = (("target", "年度指标值"), ("actual", "实际完成值"), ("points", "分值"), ("self_score", "自评得分"),
          ("score", "规则得分"))


def _rows(card: dict[str, Any]) -> dict[tuple[str, int], dict[str, Any]]:
    """Indicators by (name, occurrence): two rows of one name stay two rows."""
    out: dict[tuple[str, int], dict[str, Any]] = {}
    seen: dict[str, int] = {}
    for row in card.get("indicators") or []:
        name = str(row.get("name") or "")
        n = seen.get(name, 0)
        seen[name] = n + 1
        out[(name, n)] = row
    return out


def _shown(value: Any) -> str:
    return "" if value is None else str(value)


def version_changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """`before` and `after` are stored scorecards (Scorecard.to_json). Rows: indicator, what, before, after;
    findings added and resolved; the totals."""
    old, new = _rows(before), _rows(after)
    rows: list[dict[str, str]] = []
    for key in list(old) + [k for k in new if k not in old]:
        name = key[0] + (f"（第 {key[1] + 1} 个）" if key[1] else "")
        if key not in new:
            rows.append({"name": name, "field": "指标", "before": "有", "after": "删去"})
            continue
        if key not in old:
            rows.append({"name": name, "field": "指标", "before": "", "after": "新增"})
            continue
        for field, label in FIELDS:
            a, b = _shown(old[key].get(field)), _shown(new[key].get(field))
            if a != b:
                rows.append({"name": name, "field": label, "before": a, "after": b})
    was = {(f.get("code"), f.get("message")) for f in before.get("findings") or []}
    now = {(f.get("code"), f.get("message")) for f in after.get("findings") or []}
    keep = lambda items: [{"code": c, "message": m} for c, m in items]  # noqa: E731
    added = keep(sorted(now - was, key=str))
    resolved = keep(sorted(was - now, key=str))
    totals = {"before": before.get("total"), "after": after.get("total"), "before_grade": before.get("grade"),
              "after_grade": after.get("grade")}
    return {"rows": rows, "added": added, "resolved": resolved, "totals": totals,
            "any": bool(rows or added or resolved or totals["before"] != totals["after"])}


def _name_key(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text or "")
    return re.sub(r"[\s()（）【】\[\]·.,，、:：-]+", "", folded)


def unit_mismatch(file_unit: Any, account_unit: str) -> str | None:
    """A sentence when the unit a file names is not the account's unit (the bureau decides what it means);
    None when they agree or the file names none."""
    if not file_unit or not str(file_unit).strip():
        return None
    if _name_key(str(file_unit)) == _name_key(account_unit):
        return None
    return f"文件中的单位名称“{file_unit}”与本账号的单位“{account_unit}”不一致：请确认没有传错别的单位的文件"
