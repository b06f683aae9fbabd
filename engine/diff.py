"""`perfrules diff A B`: the effective differences between two rulesets, after inheritance.

Both are flattened into `section → key → field → value` with lists keyed by what identifies an entry
(categories and indicators by key, checks by code or kind, grades by label), so that moving an entry
or adding one does not show every later entry as changed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterator

from .rulemodel import Ruleset

SECTIONS = {"meta": "基本信息", "weights": "类别与权重", "indicators": "共性指标", "methods": "评分方法",
            "presets": "方法预设", "grades": "等级", "rounding": "取整", "defaults": "默认参数", "checks": "核对规则",
            "template": "报告模板", "applies_to": "适用范围"}


@dataclass(frozen=True)
class Change:
    section: str
    item: str
    field: str
    before: Any
    after: Any

    @property
    def kind(self) -> str:
        return "+" if self.before is None else "-" if self.after is None else "~"

    def to_json(self) -> dict[str, Any]:
        return {"section": self.section, "item": self.item, "field": self.field, "change": self.kind,
                "before": _show(self.before), "after": _show(self.after)}


def flatten(rs: Ruleset) -> dict[tuple[str, str, str], str]:
    d = rs.doc.data
    out: dict[tuple[str, str, str], str] = {}
    for key in ("title", "description", "basis", "priority"):
        if key in d:
            out[("meta", key, "")] = _show(d[key])
    for section in ("rounding", "defaults", "applies_to", "template"):
        for k, v in (d.get(section) or {}).items():
            out[(section, k, "")] = _show(v)
    for op, ref in (d.get("methods_by_operator") or {}).items():
        out[("methods", f"比较符 {op}", "")] = _show(ref)
    for name, preset in (d.get("presets") or {}).items():
        out[("presets", name, "")] = _show(preset)
    for grade in d.get("grades") or []:
        out[("grades", grade["label"], "min")] = _show(grade.get("min"))
        if grade.get("aliases"):
            out[("grades", grade["label"], "aliases")] = _show(grade["aliases"])
    for check in d.get("checks") or []:
        ident = check.get("code") or check.get("kind")
        for k, v in check.items():
            if k not in ("code",):
                out[("checks", str(ident), k)] = _show(v)
    for path, cat in _categories(d.get("categories") or [], ""):
        for k, v in cat.items():
            if k in ("children", "indicators", "key"):
                continue
            out[("weights", path, k)] = _show(v)
        for ind in cat.get("indicators") or []:
            ident = f"{path} › {ind.get('key') or ind.get('name')}"
            for k, v in ind.items():
                if k != "key":
                    out[("indicators", ident, k)] = _show(v)
    return out


def _categories(items: list[Any], parent: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for raw in items:
        cat: dict[str, Any] = {"label": raw} if isinstance(raw, str) else raw
        ident = str(cat.get("key") or cat.get("label"))
        path = f"{parent}/{ident}" if parent else ident
        yield path, cat
        yield from _categories(cat.get("children") or [], path)


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def diff(a: Ruleset, b: Ruleset) -> list[Change]:
    fa, fb = flatten(a), flatten(b)
    changes = []
    for key in sorted(set(fa) | set(fb), key=lambda k: (list(SECTIONS).index(k[0]), k[1], k[2])):
        if fa.get(key) != fb.get(key):
            changes.append(Change(key[0], key[1], key[2], fa.get(key), fb.get(key)))
    return changes


def text(a: Ruleset, b: Ruleset, changes: list[Change]) -> str:
    lines = [f"比较 {a.ref} → {b.ref}（继承展开后）"]
    if not changes:
        return lines[0] + "\n没有实质差异。"
    section = None
    for c in changes:
        if c.section != section:
            section = c.section
            lines.append(f"\n【{SECTIONS[section]}】")
        name = c.item + (f".{c.field}" if c.field else "")
        if c.kind == "+":
            lines.append(f"  + {name}: {c.after}")
        elif c.kind == "-":
            lines.append(f"  - {name}: {c.before}")
        else:
            lines.append(f"  ~ {name}: {c.before} → {c.after}")
    lines.append(f"\n共 {len(changes)} 处差异。")
    return "\n".join(lines)
