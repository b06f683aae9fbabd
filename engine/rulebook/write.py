"""`perfrules rulesets export` and `rulesets new`: a ruleset's document written as the 评分标准 workbook.

Labels are locked and tinted, input cells unlocked; drop-downs for methods, check kinds, 级别 and the
settings that are a choice; every sheet prints A4 landscape, one page wide, its header row repeated. The
rule of each row is written out in Chinese beside its parameters (engine/explain.py); it is not read back.
"""

from __future__ import annotations

import copy
import io
from decimal import Decimal
from pathlib import Path as FsPath
from typing import Any, Iterable

from .. import methods
from ..explain import check_sentence, method_sentence
from . import spec as S

INPUT_FILL, LABEL_FILL, SAID_FILL = "FFF2CC", "DDEBF7", "EDEDED"


def write_rulebook(data: dict[str, Any], cases: dict[str, Any] | None = None, cases_base: FsPath | None = None,
                   workbook_dir: FsPath | None = None) -> bytes:
    """The workbook of a ruleset document (a resolved one, or one stating only what it overrides) and of
    its test cases; submission paths in the cases are rewritten relative to where the workbook goes."""
    from openpyxl import Workbook
    w = _Writer(Workbook())
    w.wb.remove(w.wb.active)
    data = copy.deepcopy(data)
    data.pop("_parent", None)
    tree, grades, checks = data.pop("categories", []), data.pop("grades", []), data.pop("checks", [])
    template = data.pop("template", None)
    presets = data.pop("presets", None)
    w.settings(data, presets)
    w.tree(tree)
    w.grades(grades)
    w.checks(checks)
    w.template(template)
    w.cases(cases or {}, cases_base, workbook_dir)
    w.wb.properties.creator = "perfrules"
    w.wb.properties.title = "评分标准"
    buf = io.BytesIO()
    w.wb.save(buf)
    from ..zipout import deterministic_zip
    return deterministic_zip(buf.getvalue())


class _Writer:
    def __init__(self, wb: Any):
        from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
        self.wb = wb
        thin = Side(style="thin", color="999999")
        self.border = Border(left=thin, right=thin, top=thin, bottom=thin)
        self.fills = {k: PatternFill("solid", fgColor=v) for k, v in (("in", INPUT_FILL), ("label", LABEL_FILL),
                                                                        ("said", SAID_FILL))}
        self.bold = Font(bold=True)
        self.wrap = Alignment(wrap_text=True, vertical="top")
        self.unlocked, self.locked = Protection(locked=False), Protection(locked=True)

    # -------------------------------------------------------------- cells
    def sheet(self, title: str, headers: list[str], widths: list[int]) -> Any:
        from openpyxl.utils import get_column_letter
        ws = self.wb.create_sheet(title)
        for c, (text, width) in enumerate(zip(headers, widths), start=1):
            self.label(ws.cell(1, c), text)
            ws.column_dimensions[get_column_letter(c)].width = width
        ws.freeze_panes = "A2"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.orientation = "landscape"
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        ws.print_title_rows = "1:1"
        ws.protection.sheet = True   # labels locked against slips; no password
        for attr in ("formatCells", "formatColumns", "formatRows", "insertRows", "deleteRows", "sort", "autoFilter"):
            setattr(ws.protection, attr, False)
        return ws

    def label(self, cell: Any, text: str) -> None:
        cell.value = text
        cell.data_type = "s"
        cell.font, cell.fill, cell.border, cell.alignment = self.bold, self.fills["label"], self.border, self.wrap
        cell.protection = self.locked

    def put(self, cell: Any, value: Any, said: bool = False) -> None:
        """An input cell (or, `said`, a generated one: grey, locked, never read back)."""
        if isinstance(value, str):
            from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
            if ILLEGAL_CHARACTERS_RE.search(value):
                from ..errors import error
                raise error(f"文字“{value[:20]}”含有 Excel 不能保存的控制字符", None, "删去其中的控制字符后再导出",
                            code="E-FORMAT")
            cell.value = value
            cell.data_type = "s"   # text stays text: "2026.1" is not a number, "=…" is not a formula
        else:
            cell.value = value
        cell.border, cell.alignment = self.border, self.wrap
        cell.fill = self.fills["said" if said else "in"]
        cell.protection = self.locked if said else self.unlocked

    def choices(self, ws: Any, column: str, first: int, last: int, words: Iterable[str]) -> None:
        from openpyxl.worksheet.datavalidation import DataValidation
        listed = ",".join(words)
        if not listed or len(listed) > 250:   # Excel's limit for a literal list
            return
        dv = DataValidation(type="list", formula1=f'"{listed}"', allow_blank=True, showErrorMessage=False)
        ws.add_data_validation(dv)
        dv.add(f"{column}{first}:{column}{max(first, last)}")

    # -------------------------------------------------------------- sheets
    def settings(self, data: dict[str, Any], presets: dict[str, Any] | None) -> None:
        ws = self.sheet(S.SETTINGS_SHEET, ["项目", "值", "说明"], [22, 60, 60])
        rows = _flatten_settings(data)
        r = 2
        for label, path, kind, note in S.SETTINGS:
            self.label(ws.cell(r, 1), label)
            value = rows.pop(path, None)
            if kind == "method" and isinstance(value, str) and value in methods.REGISTRY:
                value = _method_label(value)   # the method by its Chinese name
            self.put(ws.cell(r, 2), S.encode(value, kind, path))
            self.put(ws.cell(r, 3), note, said=True)
            if kind == "choice":
                self.choices(ws, "B", r, r, S.CHOICES[path].values())
            elif kind == "method":
                self.choices(ws, "B", r, r, [m.label for m in methods.REGISTRY.values()] + list(presets or {}))
            r += 1
        for name, value in (presets or {}).items():
            self.label(ws.cell(r, 1), S.PRESET_PREFIX + name)
            self.put(ws.cell(r, 2), "YAML: " + S.flow(value))
            self.put(ws.cell(r, 3), "预设的方法及参数，指标体系中按名称引用", said=True)
            r += 1
        for path, value in rows.items():   # what no row above holds: its path and YAML text
            self.label(ws.cell(r, 1), path)
            self.put(ws.cell(r, 2), "YAML: " + S.flow(value))
            r += 1

    def tree(self, categories: list[Any]) -> None:
        rows: list[tuple[int, Any, bool]] = []
        for cat in categories:
            _walk(cat, 0, rows)
        used = [methods.REGISTRY[n] for n in dict.fromkeys(_method_parts(node.get("method"))[0] for _, node, _ in rows
                                                            if isinstance(node, dict)) if n]
        params = _param_columns(used)   # the parameters of the methods this standard uses (a column may be added)
        headers = S.TREE_COLUMNS + [S.param_header(p.name, p.doc) for p in params] + [S.TREE_SAID, S.OTHER]
        ws = self.sheet(S.TREE_SHEET, headers, [7, 14, 20, 16, 7, 16] + [12] * len(params) + [50, 30])
        for r, (depth, node, fixed) in enumerate(rows, start=2):
            node = {"label": node} if isinstance(node, str) else dict(node)
            node.pop("children", None)
            node.pop("indicators", None)
            self.put(ws.cell(r, 1), S.INDICATOR_LEVEL if fixed else S.LEVELS[min(depth, len(S.LEVELS) - 1)])
            self.put(ws.cell(r, 2), S.encode(node.pop("key", None), "text"))
            self.put(ws.cell(r, 3), S.encode(node.pop("name" if fixed else "label", None), "text"))
            self.put(ws.cell(r, 4), S.encode(node.pop("aliases", None), "lines"))
            self.put(ws.cell(r, 5), S.encode(node.pop("points", None), "number"))
            method = node.pop("method", None)
            name, given = _method_parts(method)
            self.put(ws.cell(r, 6), S.encode(_method_label(name) if name is not None else method, "method")
                     if not isinstance(method, dict) or name is not None else S.encode(method, "yaml"))
            for c, p in enumerate(params, start=7):
                value = given.pop(p.name, None) if name is not None and p.name in _names(name) else None
                self.put(ws.cell(r, c), S.encode(value, _param_kind(p)))
            if given:   # a parameter the method does not have: kept for `rulesets check` to name
                node["method_params"] = given
            said = method_sentence(name, _method_params(method)) if name in methods.REGISTRY else ""
            self.put(ws.cell(r, 7 + len(params)), said, said=True)
            self.put(ws.cell(r, 8 + len(params)), ("YAML: " + S.flow(node)) if node else None)
        self.choices(ws, "A", 2, len(rows) + 1, S.LEVELS[:4] + [S.INDICATOR_LEVEL])
        self.choices(ws, "F", 2, len(rows) + 41, [m.label for m in methods.REGISTRY.values()])

    def grades(self, grades: list[Any]) -> None:
        ws = self.sheet(S.GRADES_SHEET, S.GRADE_COLUMNS, [10, 10, 24, 30])
        for r, grade in enumerate(grades, start=2):
            grade = dict(grade) if isinstance(grade, dict) else {"YAML": grade}
            self.put(ws.cell(r, 1), S.encode(grade.pop("label", None), "text"))
            self.put(ws.cell(r, 2), S.encode(grade.pop("min", None), "number"))
            self.put(ws.cell(r, 3), S.encode(grade.pop("aliases", None), "lines"))
            self.put(ws.cell(r, 4), ("YAML: " + S.flow(grade)) if grade else None)

    def checks(self, checks: list[Any]) -> None:
        from ..checks import KINDS
        params = _param_columns(KINDS[c["kind"]] for c in checks if isinstance(c, dict) and c.get("kind") in KINDS)
        headers = S.CHECK_COLUMNS + [S.param_header(p.name, p.doc) for p in params] + [S.CHECK_SAID, S.OTHER]
        ws = self.sheet(S.CHECKS_SHEET, headers, [20, 18, 8, 30] + [12] * len(params) + [50, 30])
        for r, check in enumerate(checks, start=2):
            check = dict(check) if isinstance(check, dict) else {"kind": check}
            kind = check.pop("kind", None)
            known = KINDS.get(kind) if isinstance(kind, str) else None
            self.put(ws.cell(r, 1), S.encode(known.label if known else kind, "text"))
            self.put(ws.cell(r, 2), S.encode(check.pop("code", None), "text"))
            self.put(ws.cell(r, 3), S.encode(check.pop("severity", None), "choice", "severity"))
            self.put(ws.cell(r, 4), S.encode(check.pop("message", None), "text"))
            for c, p in enumerate(params, start=5):
                own = known is not None and p.name in {q.name for q in known.params}
                self.put(ws.cell(r, c), S.encode(check.pop(p.name, None), _param_kind(p)) if own else None)
            self.put(ws.cell(r, 5 + len(params)), check_sentence(kind, {}) if known else "", said=True)
            self.put(ws.cell(r, 6 + len(params)), ("YAML: " + S.flow(check)) if check else None)
        self.choices(ws, "A", 2, len(checks) + 41, [k.label for k in KINDS.values()])
        self.choices(ws, "C", 2, len(checks) + 41, S.CHOICES["severity"].values())

    def template(self, template: Any) -> None:
        ws = self.sheet(S.TEMPLATE_SHEET, ["项目", "值", "说明"], [16, 30, 60])
        template = dict(template) if isinstance(template, dict) else ({} if template is None else {"YAML": template})
        notes = {"set": "报告模板集：unit-overall（部门整体）、project（项目）或本局自己的模板集", "version": "模板版本，如 1"}
        for r, (label, key) in enumerate(S.TEMPLATE_ROWS, start=2):
            self.label(ws.cell(r, 1), label)
            self.put(ws.cell(r, 2), S.encode(template.pop(key, None), "text"))
            self.put(ws.cell(r, 3), notes[key], said=True)
        if template:
            self.label(ws.cell(4, 1), S.OTHER)
            self.put(ws.cell(4, 2), "YAML: " + S.flow(template))

    def cases(self, suite: dict[str, Any], base: FsPath | None, workbook_dir: FsPath | None) -> None:
        ws = self.sheet(S.CASES_SHEET, S.CASE_COLUMNS, [30, 40, 8, 8, 24, 24, 30, 30])
        suite = dict(suite)
        for r, case in enumerate(suite.pop("cases", None) or [], start=2):
            case = dict(case)
            expect = dict(case.pop("expect", None) or {})
            submission = case.pop("submission", None)
            if isinstance(submission, str) and base is not None and workbook_dir is not None:
                submission = _relative(base / submission, workbook_dir)
            self.put(ws.cell(r, 1), S.encode(case.pop("name", None), "text"))
            self.put(ws.cell(r, 2), S.encode(submission, "text"))
            self.put(ws.cell(r, 3), S.encode(expect.pop("total", None), "number"))
            self.put(ws.cell(r, 4), S.encode(expect.pop("grade", None), "text"))
            self.put(ws.cell(r, 5), S.encode(expect.pop("findings", None), "lines"))
            self.put(ws.cell(r, 6), S.encode(expect.pop("no_findings", None), "lines"))
            self.put(ws.cell(r, 7), ("YAML: " + S.flow(expect)) if expect else None)
            self.put(ws.cell(r, 8), ("YAML: " + S.flow(case)) if case else None)
        if suite:
            ws.cell(1, 10).value = "YAML: " + S.flow(suite)


def _relative(target: FsPath, start: FsPath) -> str:
    import os
    return os.path.relpath(os.path.abspath(target), os.path.abspath(start)).replace(os.sep, "/")


def _walk(node: Any, depth: int, rows: list[tuple[int, Any, bool]]) -> None:
    rows.append((depth, node, False))
    if isinstance(node, dict):
        for ind in node.get("indicators") or []:
            rows.append((depth + 1, ind, True))
        for child in node.get("children") or []:
            _walk(child, depth + 1, rows)


def _flatten_settings(data: dict[str, Any]) -> dict[str, Any]:
    """Dotted path → value for the 说明 rows: a known row's path holds its value; any other mapping is opened
    down to its leaves only where rows name them (applies_to.years.from), else kept whole."""
    out: dict[str, Any] = {}

    def visit(prefix: str, value: Any) -> None:
        if prefix in S.SETTINGS_BY_PATH or not isinstance(value, dict) or not value or \
                not any(p.startswith(prefix + ".") for p in S.SETTINGS_BY_PATH):
            out[prefix] = value
            return
        for k, v in value.items():
            visit(f"{prefix}.{k}", v)
    for key, value in data.items():
        visit(str(key), value)
    return out


def _param_columns(kinds: Iterable[Any]) -> list[Any]:
    seen: dict[str, Any] = {}
    for kind in kinds:
        for p in kind.params:
            seen.setdefault(p.name, p)
    return list(seen.values())


def _param_kind(p: Any) -> str:
    return {"decimal": "number", "int": "int", "bool": "bool"}.get(p.kind, "text" if p.kind in ("str", "enum", "unit", "expression")
                                                                      else "yaml")


def _names(method: str) -> set[str]:
    m = methods.REGISTRY.get(method)
    return {p.name for p in m.params} if m else set()


def _method_parts(method: Any) -> tuple[str | None, dict[str, Any]]:
    """(method name, its parameters) of a method reference; (None, {}) for a preset's name or nothing."""
    if isinstance(method, str) and method in methods.REGISTRY:
        return method, {}
    if isinstance(method, dict) and isinstance(method.get("use"), str) and method["use"] in methods.REGISTRY:
        return method["use"], {k: v for k, v in method.items() if k != "use"}
    return None, {}


def _method_params(method: Any) -> dict[str, Any]:
    return _method_parts(method)[1]


def _method_label(name: str) -> str:
    return methods.REGISTRY[name].label


def method_of_label(text: str) -> str | None:
    """A method's name from its Chinese label or its own name."""
    for m in methods.REGISTRY.values():
        if text in (m.label, m.name):
            return m.name
    return None


__all__ = ["write_rulebook", "method_of_label", "Decimal"]
