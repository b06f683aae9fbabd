"""`extends`: merge a child ruleset onto its parent, remembering where every value came from.

Merge rules (docs/ruleset-guide.md, "Inheritance"):
- scalars and the whole-value keys (`title`, `grades`, `applies_to`, `template`, `basis`, …): the child's replaces;
- `defaults`, `rounding`, `methods_by_operator`, `presets`: merged key by key, the child's entry replaces;
- `categories` (and their `children`, `indicators`): merged by `key` (a category written as a bare label
  is keyed by its label); a child entry whose key exists anywhere in the inherited tree is merged into it
  field by field, in place; an unknown key is added at the level where the child wrote it;
- `checks`: merged by `code` when given, else by `kind`;
- an entry with `remove: true` deletes the inherited entry of that key.
"""

from __future__ import annotations

import copy
from typing import Any, Callable

from .errors import Diagnostic, Path, PerfrulesError
from .yamlio import Document

BY_FIELD = ("defaults", "rounding", "methods_by_operator", "presets")
NOT_INHERITED = ("extends", "id", "version")
Origin = tuple[str, int | None, Path]   # file, line, and the path inside that file


class Merger:
    def __init__(self, parent: Document, child: Document):
        self.parent, self.child = parent, child
        self.origins: dict[Path, Origin] = {}
        self.problems: list[Diagnostic] = []

    def merge(self) -> Document:
        out: dict[str, Any] = {}
        pdata, cdata = self.parent.data, self.child.data
        for key, value in pdata.items():
            if key not in NOT_INHERITED and key not in cdata:
                out[key] = self.take(self.parent, (key,), value, (key,))
        for key, value in cdata.items():
            if key == "extends":
                continue
            if key in BY_FIELD and isinstance(pdata.get(key), dict) and isinstance(value, dict):
                out[key] = self._by_field(key, pdata[key], value)
            elif key == "categories" and isinstance(pdata.get(key), list) and isinstance(value, list):
                out[key] = self._categories(pdata[key], ("categories",), value, ("categories",))
            elif key == "checks" and isinstance(pdata.get(key), list) and isinstance(value, list):
                out[key] = self._keyed(pdata[key], value, (key,), _check_key)
            else:
                out[key] = self.take(self.child, (key,), value, (key,))
        if self.problems:
            raise PerfrulesError(self.problems)
        merged = Document(data=out, file=self.child.file, sha256=self.child.sha256, encoding=self.child.encoding)
        merged.origins = self.origins
        merged.lines = {path: line for path, (_, line, _src) in self.origins.items() if line is not None}
        return merged

    # -------------------------------------------------------------- copying with origins
    def take(self, doc: Document, src: Path, value: Any, out: Path) -> Any:
        self._record(doc, src, value, out)
        return copy.deepcopy(value)

    def _record(self, doc: Document, src: Path, value: Any, out: Path) -> None:
        self.origins[out] = _origin(doc, src)
        if isinstance(value, dict):
            for k, v in value.items():
                self._record(doc, src + (k,), v, out + (k,))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                self._record(doc, src + (i,), v, out + (i,))

    # -------------------------------------------------------------- mappings merged field by field
    def _by_field(self, key: str, parent: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        self.origins[(key,)] = _origin(self.child, (key,))
        for k, v in parent.items():
            if k not in child:
                out[k] = self.take(self.parent, (key, k), v, (key, k))
        for k, v in child.items():
            out[k] = self.take(self.child, (key, k), v, (key, k))
        return out

    # -------------------------------------------------------------- keyed lists
    def _keyed(self, parent: list[Any], child: list[Any], path: Path,
               key_of: Callable[[Any], str | None]) -> list[Any]:
        entries: list[tuple[Document, Path, Any]] = [(self.parent, path + (i,), v)
                                                    for i, v in enumerate(parent)]
        for j, item in enumerate(child):
            key = key_of(item)
            at = next((n for n, (_, _, v) in enumerate(entries) if key is not None and key_of(v) == key), None)
            if isinstance(item, dict) and item.get("remove") is True:
                if at is None:
                    self._problem(f"要删除的条目 '{key}' 在父规则集中不存在", path + (j,))
                else:
                    del entries[at]
                continue
            if at is None:
                entries.append((self.child, path + (j,), item))
            else:
                entries[at] = (self.child, path + (j,), item)
        return [self.take(doc, src, value, path + (i,)) for i, (doc, src, value) in enumerate(entries)]

    def _categories(self, parent: list[Any], ppath: Path, child: list[Any], cpath: Path) -> list[Any]:
        """Categories: a child entry merges into the inherited category of its key, wherever it sits."""
        tree = [_Node.of(self.parent, ppath + (i,), c) for i, c in enumerate(parent)]
        for j, item in enumerate(child):
            self._apply(tree, _Node.of(self.child, cpath + (j,), item))
        return [self._emit(node, ("categories", i)) for i, node in enumerate(tree)]

    def _apply(self, level: list["_Node"], incoming: "_Node") -> None:
        found = _find(level, incoming.key)
        if incoming.remove:
            if found is None:
                self._problem(f"要删除的类别 '{incoming.key}' 在父规则集中不存在", incoming.src)
            else:
                found[0].remove(found[1])
            return
        if found is None:
            level.append(incoming)
            return
        target = found[1]
        target.fields.update(incoming.fields)
        for child in incoming.children:
            self._apply(target.children, child)
        for indicator in incoming.indicators:
            self._apply_indicator(target, indicator)

    def _apply_indicator(self, target: "_Node", incoming: "_Node") -> None:
        at = next((n for n, ind in enumerate(target.indicators) if ind.key == incoming.key), None)
        if incoming.remove:
            if at is None:
                self._problem(f"要删除的指标 '{incoming.key}' 在父规则集中不存在", incoming.src)
            else:
                del target.indicators[at]
        elif at is None:
            target.indicators.append(incoming)
        else:
            merged = target.indicators[at]
            merged.fields.update(incoming.fields)

    def _emit(self, node: "_Node", out: Path) -> dict[str, Any]:
        result: dict[str, Any] = {}
        self.origins[out] = _origin(node.doc, node.src)
        for name, (doc, src, value) in node.fields.items():
            result[name] = self.take(doc, src, value, out + (name,))
        if node.children:
            result["children"] = [self._emit(c, out + ("children", i)) for i, c in enumerate(node.children)]
        if node.indicators:
            result["indicators"] = [self._emit(c, out + ("indicators", i)) for i, c in enumerate(node.indicators)]
        return result

    def _problem(self, message: str, path: Path) -> None:
        self.problems.append(Diagnostic(message, self.child.loc(path), "检查 key 的拼写，或去掉 remove: true",
                                        "E-RULESET"))


class _Node:
    """A category or indicator during the merge: each field remembers its document and path."""

    def __init__(self, doc: Document, src: Path, key: str, remove: bool):
        self.doc, self.src, self.key, self.remove = doc, src, key, remove
        self.fields: dict[str, tuple[Document, Path, Any]] = {}
        self.children: list[_Node] = []
        self.indicators: list[_Node] = []

    @classmethod
    def of(cls, doc: Document, src: Path, raw: Any) -> "_Node":
        if isinstance(raw, str):
            raw = {"label": raw}
        node = cls(doc, src, _category_key(raw), raw.get("remove") is True)
        for name, value in raw.items():
            if name == "children":
                node.children = [cls.of(doc, src + ("children", i), c) for i, c in enumerate(value or [])]
            elif name == "indicators":
                node.indicators = [cls.of(doc, src + ("indicators", i), c) for i, c in enumerate(value or [])]
            elif name != "remove":
                node.fields[name] = (doc, src + (name,), value)
        return node


def _find(level: list[_Node], key: str) -> tuple[list[_Node], _Node] | None:
    for node in level:
        if node.key == key:
            return level, node
    for node in level:
        deeper = _find(node.children, key)
        if deeper:
            return deeper
    return None


def _category_key(raw: Any) -> str:
    if isinstance(raw, dict):
        return str(raw.get("key") or raw.get("label") or raw.get("name") or "")
    return str(raw)


def _check_key(raw: Any) -> str | None:
    if isinstance(raw, dict):
        return str(raw.get("code") or raw.get("kind") or "") or None
    return None


def _origin(doc: Document, path: Path) -> Origin:
    if doc.origins and path in doc.origins:
        return doc.origins[path]
    return (doc.file, doc.line(path), path)

