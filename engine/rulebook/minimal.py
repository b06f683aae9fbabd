"""A workbook that `extends` a parent states the whole standard; its YAML states only what differs.

`overrides(parent, full)` is the smallest child document that, merged onto the parent by inherit.py's
rules, gives `full` again: top-level values that differ, `defaults` / `rounding` / … entries that differ,
categories and checks merged by key with `remove: true` for what the workbook dropped. It is verified by
merging; where the merge rules cannot say it (a field removed from an inherited category), None, and the
caller writes the whole standard.
"""

from __future__ import annotations

import copy
from typing import Any, Callable

from ..inherit import BY_FIELD, NOT_INHERITED, Merger, _check_key
from ..yamlio import Document


def overrides(parent: dict[str, Any], full: dict[str, Any], head: dict[str, Any]) -> dict[str, Any] | None:
    """`head` (schema_version, id, version, extends) and what `full` changes in `parent`; None if inexpressible."""
    child: dict[str, Any] = dict(head)
    for key, value in full.items():
        if key in NOT_INHERITED or key in child or key.startswith("_"):
            continue
        old = parent.get(key)
        if key in BY_FIELD and isinstance(old, dict) and isinstance(value, dict):
            changed = {k: v for k, v in value.items() if old.get(k) != v}
            if set(old) - set(value):
                return None   # an entry dropped from a merged mapping cannot be said
            if changed:
                child[key] = changed
        elif key == "categories" and isinstance(old, list) and isinstance(value, list):
            diff = _keyed(old, value, _category_key, _category_diff)
            if diff:
                child[key] = diff
        elif key == "checks" and isinstance(old, list) and isinstance(value, list):
            diff = _keyed(old, value, _check_key, _whole)
            if diff:
                child[key] = diff
        elif old != value:
            child[key] = copy.deepcopy(value)
    if any(k not in full for k in parent if k not in NOT_INHERITED and not k.startswith("_")):
        return None   # a whole setting dropped: the merge would bring it back
    merged = Merger(Document(data=copy.deepcopy(parent), file="parent"), Document(data=copy.deepcopy(child), file="child")).merge()
    got = {k: v for k, v in merged.data.items() if k not in NOT_INHERITED and not k.startswith("_")}
    want = {k: v for k, v in full.items() if k not in NOT_INHERITED and not k.startswith("_")}
    return child if got == want else None


def _category_key(entry: Any) -> str:
    return entry if isinstance(entry, str) else str(entry.get("key") or entry.get("label") or entry.get("name"))


def _keyed(old: list[Any], new: list[Any], key_of: Callable[[Any], str | None],
           diff: Callable[[Any, Any], Any]) -> list[Any]:
    before = {key_of(e): e for e in old}
    out: list[Any] = []
    for entry in new:
        k = key_of(entry)
        if k in before:
            d = diff(before[k], entry)
            if d is not None:
                out.append(d)
        else:
            out.append(copy.deepcopy(entry))
    now = {key_of(e) for e in new}
    for k, entry in before.items():
        if k not in now:
            out.append(_removal(entry, k, key_of is _check_key))
    return out


def _removal(entry: Any, key: str | None, check: bool) -> dict[str, Any]:
    """The entry that deletes an inherited one: by code (or kind) for a check, by key (or label) for a category."""
    if check:
        return {"code": entry["code"], "remove": True} if "code" in entry else {"kind": entry.get("kind"), "remove": True}
    if isinstance(entry, dict) and "key" in entry:
        return {"key": key, "remove": True}
    return {"name" if isinstance(entry, dict) and "name" in entry else "label": key, "remove": True}


def _whole(old: Any, new: Any) -> Any:
    return None if old == new else copy.deepcopy(new)


def _category_diff(old: Any, new: Any) -> Any:
    """The fields of a category (or fixed indicator) that changed, keyed; None when nothing did."""
    if old == new:
        return None
    if isinstance(old, str) or isinstance(new, str):
        return copy.deepcopy(new)
    out: dict[str, Any] = {k: new[k] for k in ("key",) if k in new}
    if "key" not in out:
        out["label" if "label" in new else "name"] = new.get("label", new.get("name"))
    for field, value in new.items():
        if field in ("children", "indicators") and isinstance(old.get(field), list) and isinstance(value, list):
            d = _keyed(old[field], value, _category_key, _category_diff)
            if d:
                out[field] = d
        elif old.get(field) != value:
            out[field] = copy.deepcopy(value)
    return out
