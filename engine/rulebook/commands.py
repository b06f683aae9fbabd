"""What `rulesets export`, `rulesets new` and `rulesets import` do, kept out of the CLI (the web uses them too)."""

from __future__ import annotations

import copy
import os
from pathlib import Path as FsPath
from typing import Any, Iterable

from ..errors import Diagnostic, Location, Path, PerfrulesError, error
from ..yamlio import Document, load_file
from . import spec as S


def _entry_and_data(ref: str, dirs: list[FsPath], allow_path: bool = True) -> tuple[Any, dict[str, Any]]:
    from ..ruleset import find, resolve_document
    entry = find(ref, dirs, allow_path)
    data = copy.deepcopy(resolve_document(entry.path, dirs).data)
    data.pop("_parent", None)
    return entry, data


def export_rulebook(ref: str, dirs: Iterable[FsPath], out: FsPath) -> bytes:
    """The workbook of a ruleset, resolved (a bureau reads the whole standard), with `继承` kept and the
    test cases beside it (`x.test.yaml`)."""
    from .write import write_rulebook
    dirs = list(dirs)
    entry, data = _entry_and_data(ref, dirs)
    own = load_file(entry.path).data
    if isinstance(own, dict) and own.get("extends"):
        data = {**{k: data[k] for k in ("schema_version", "id", "version") if k in data}, "extends": own["extends"],
                **{k: v for k, v in data.items() if k not in ("schema_version", "id", "version")}}
    tests = entry.path.with_name(entry.path.name[:-len(".yaml")] + ".test.yaml")
    cases = load_file(tests).data if tests.is_file() else None
    return write_rulebook(data, cases if isinstance(cases, dict) else None, tests.parent, out.parent)


def new_rulebook(parent_ref: str, new_id: str, version: str, dirs: Iterable[FsPath], out: FsPath) -> bytes:
    """A new standard's workbook, pre-filled with its parent's content: the county edits what differs."""
    from .write import write_rulebook
    dirs = list(dirs)
    entry, data = _entry_and_data(parent_ref, dirs)
    head = {"schema_version": data.get("schema_version", 1), "id": new_id, "version": version,
            "extends": f"{entry.id}@{entry.version}"}
    data = {**head, **{k: v for k, v in data.items() if k not in head and k != "priority"}}
    return write_rulebook(data, None, None, out.parent)


def import_rulebook(path: FsPath, name: str, dirs: Iterable[FsPath], out: FsPath) -> tuple[str, str | None, list[Diagnostic]]:
    """The ruleset YAML a workbook states (only what differs from its parent when it extends one), the test
    cases' YAML (or None), and the warnings `rulesets check` gives. What check refuses is raised, at its cell."""
    from ..lint import lint
    from ..rulecompile import compile_document
    from .minimal import overrides
    from .read import read_rulebook
    dirs = list(dirs)
    doc, cases = read_rulebook(path, name)
    full = doc.data
    parent_ref = full.get("extends")
    standalone = Document(data={k: v for k, v in full.items() if k != "extends"}, file=doc.file, encoding="xlsx")
    standalone.cells = doc.cells
    ruleset = compile_document(standalone)   # schema and compile problems, at their cells
    problems = lint(ruleset)
    errors = [d for d in problems if d.code != "E-RULESET-TEMPLATE" and not d.code.startswith(("W-", "I-"))]
    if errors:
        raise PerfrulesError(errors)
    written, note = full, None
    if isinstance(parent_ref, str) and parent_ref.strip():
        try:
            _, parent = _entry_and_data(parent_ref, dirs, allow_path=False)   # 继承 names an id@version
        except PerfrulesError as exc:
            raise error(f"找不到“继承”所写的上级标准 '{parent_ref}'：{exc.first.message}",
                        Location(doc.file, cell=doc.cells.get(("extends",))), exc.first.hint, code="E-RULESET") from None
        head = {k: full[k] for k in ("schema_version", "id", "version", "extends") if k in full}
        reduced = overrides(parent, {k: v for k, v in full.items() if k != "extends"}, head)
        if reduced is not None:
            written = reduced
        else:
            written = {k: v for k, v in full.items() if k != "extends"}
            note = (f"继承自 {parent_ref}：本表删除了上级标准的某项设置，继承规则无法只写差异，"
                    "因此写出完整的规则集（不再继承）")
    text = _ruleset_yaml(written, full, doc.cells, name, note)
    cases_text = _cases_yaml(cases, out.parent) if cases else None
    return text, cases_text, [d for d in problems if d not in errors]


def _ruleset_yaml(written: dict[str, Any], full: dict[str, Any], cells: dict[Path, str], source: str,
                  note: str | None) -> str:
    from ..formats.yamltext import cell_comments
    from ..yamlio import load_text
    body = S.yaml_safe_dump(written)
    where = load_text(body, source)
    mapped = _cells_for(written, full, cells)
    marks = cell_comments(body.splitlines(), where.lines, mapped)
    out = [f"# 评分规则集：由 perfrules rulesets import 从 {source} 读出；行尾注明读自哪个单元格。",
           "# 修改请改工作簿后重新导入，或直接改本文件后用 perfrules rulesets check 检查。"]
    if note:
        out.append(f"# 注意：{note}。")
    out += [line + (f"  # {marks[n]}" if n in marks else "") for n, line in enumerate(body.splitlines(), start=1)]
    text = "\n".join(out) + "\n"
    if load_text(text, source).data != where.data:   # a comment never changes a value
        return "\n".join(out[:3 if note else 2]) + "\n" + body
    return text


def _cells_for(written: dict[str, Any], full: dict[str, Any], cells: dict[Path, str]) -> dict[Path, str]:
    """The workbook cell of each value in the YAML written: the same path for settings; for categories, the
    workbook row of the category with the same key (a child states them by key, not by position)."""
    out: dict[Path, str] = {}
    rows: dict[str, Path] = {}

    def index(nodes: list[Any], path: Path) -> None:
        for i, node in enumerate(nodes):
            if isinstance(node, dict):
                rows[str(node.get("key") or node.get("label") or node.get("name"))] = path + (i,)
                index(node.get("children") or [], path + (i, "children"))
                index(node.get("indicators") or [], path + (i, "indicators"))
    index(full.get("categories") or [], ("categories",))

    def visit(value: Any, path: Path, source: Path | None) -> None:
        if source is not None and source in cells and not isinstance(value, (dict, list)):
            out[path] = cells[source]
        if isinstance(value, dict):
            for k, v in value.items():
                visit(v, path + (k,), None if source is None else source + (k,))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                mine = rows.get(str(v.get("key") or v.get("label") or v.get("name"))) if isinstance(v, dict) and \
                    path[-1:] in (("categories",), ("children",), ("indicators",)) else None
                visit(v, path + (i,), mine if mine is not None else (None if source is None else source + (i,)))
    for key, value in written.items():
        visit(value, (key,), (key,) if key != "categories" else ("categories",))
    return out


def _cases_yaml(suite: dict[str, Any], folder: FsPath) -> str:
    suite = copy.deepcopy(suite)
    for case in suite.get("cases") or []:
        if isinstance(case.get("submission"), str):
            case["submission"] = os.path.relpath(case["submission"], os.path.abspath(folder)).replace(os.sep, "/")
    return "# 评分规则集的测试用例：由 perfrules rulesets import 从工作簿的“测试用例”读出。\n" + S.yaml_safe_dump(suite)
