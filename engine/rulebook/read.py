"""`perfrules rulesets import 评分标准.xlsx`: the workbook read back into a ruleset document.

Every value keeps its cell (评分标准.xlsx!指标体系!F7), so what `rulesets check` refuses is said at the cell.
A method or check kind written by a name perfrules does not know gets a did-you-mean. A formula is refused,
never evaluated. The Office guard (engine/formats/safezip.py) reads the file before openpyxl does.
"""

from __future__ import annotations

from pathlib import Path as FsPath
from typing import Any

from .. import methods
from ..errors import Diagnostic, Location, Path, PerfrulesError, did_you_mean, error
from ..files import display_path
from ..formats.layout import set_path
from ..yamlio import Document
from . import spec as S
from .write import method_of_label


def read_rulebook(path: FsPath, name: str) -> tuple[Document, dict[str, Any] | None]:
    """The ruleset document the workbook states (with the cell of every value), and its test cases (their
    submission paths resolved against the workbook's folder), or None when the 测试用例 sheet is empty."""
    from ..formats.xlsx import open_workbook
    wb = open_workbook(path, name)
    reader = _Reader(wb, display_path(name), path.parent)
    return reader.read()


class _Reader:
    def __init__(self, wb: Any, name: str, folder: FsPath):
        self.wb, self.name, self.folder = wb, name, folder
        self.data: dict[str, Any] = {}
        self.cells: dict[Path, str] = {}
        self.problems: list[Diagnostic] = []

    # -------------------------------------------------------------- cells
    def where(self, ws: Any, row: int, col: int) -> str:
        from openpyxl.utils import get_column_letter
        return f"{ws.title}!{get_column_letter(col)}{row}"

    def raw(self, ws: Any, row: int, col: int) -> Any:
        cell = ws.cell(row, col)
        if cell.data_type == "f":
            self.fail(ws, row, col, "评分标准的单元格是公式；公式不作为规则计算", "把公式换成它的值（复制后“选择性粘贴 → 数值”）")
            return None
        return cell.value

    def value(self, ws: Any, row: int, col: int, kind: str, path: Path, dotted: str = "") -> Any:
        raw = self.raw(ws, row, col)
        try:
            value = S.decode(raw, kind, dotted)
        except S.Unreadable as exc:
            self.fail(ws, row, col, str(exc))
            return None
        if value is not None:
            self.cells[path] = self.where(ws, row, col)
        return value

    def fail(self, ws: Any, row: int, col: int, message: str, hint: str | None = None) -> None:
        self.problems.append(Diagnostic(message, Location(self.name, cell=self.where(ws, row, col)), hint, "E-RULESET"))

    def sheet(self, title: str) -> Any:
        return self.wb[title] if title in self.wb.sheetnames else None

    def columns(self, ws: Any) -> dict[str, int]:
        return {str(ws.cell(1, c).value).strip(): c for c in range(1, min(ws.max_column, 200) + 1)
                if ws.cell(1, c).value is not None}

    def rows(self, ws: Any) -> range:
        if ws.max_row > 5_000:
            raise error(f"工作表“{ws.title}”有 {ws.max_row} 行，超过上限 5000 行", Location(self.name, cell=f"{ws.title}!A{ws.max_row}"),
                        "评分标准不会有这么多行；请删除多余的行", code="E-LIMIT")
        return range(2, ws.max_row + 1)

    def blank(self, ws: Any, row: int, width: int) -> bool:
        return all(ws.cell(row, c).value in (None, "") for c in range(1, width + 1))

    # -------------------------------------------------------------- sheets
    def read(self) -> tuple[Document, dict[str, Any] | None]:
        for ws in self.wb.worksheets:   # the row limit before anything else is looked at
            self.rows(ws)
        if self.sheet(S.SETTINGS_SHEET) is None or self.sheet(S.TREE_SHEET) is None:
            raise error("这个工作簿不是评分标准：找不到“说明”和“指标体系”工作表", Location(self.name),
                        "用 perfrules rulesets export 或 rulesets new 生成评分标准工作簿", code="E-FORMAT")
        self.settings()
        self.tree()
        self.grades()
        self.checks()
        self.template()
        cases = self.cases()
        if self.problems:
            raise PerfrulesError(self.problems)
        doc = Document(data=self.data, file=self.name, encoding="xlsx")
        doc.cells = self.cells
        return doc, cases

    def settings(self) -> None:
        ws = self.sheet(S.SETTINGS_SHEET)
        for row in self.rows(ws):
            label = str(ws.cell(row, 1).value or "").strip()
            if not label:
                continue
            if label.startswith(S.PRESET_PREFIX):   # a preset's name may hold a dot: set directly, not by a dotted path
                name = label[len(S.PRESET_PREFIX):]
                preset = self.value(ws, row, 2, "yaml", ("presets", name))
                if preset is not None:
                    self.data.setdefault("presets", {})[name] = preset
                continue
            if label in S.SETTINGS_BY_LABEL:
                dotted, kind = S.SETTINGS_BY_LABEL[label]
                path: Path = tuple(dotted.split("."))
            elif label.isascii() and label.replace(".", "").replace("_", "").isalnum():
                dotted, kind, path = label, "text", tuple(label.split("."))   # a setting with no row of its own
            else:
                self.fail(ws, row, 1, f"“说明”中没有“{label}”这一项", did_you_mean(label, S.SETTINGS_BY_LABEL))
                continue
            value = self.value(ws, row, 2, kind, path, dotted)
            if value is None:
                continue
            if kind == "method" and isinstance(value, str):
                value = self.method_name(ws, row, 2, value)
            set_path(self.data, dotted, value)

    def method_name(self, ws: Any, row: int, col: int, text: str) -> str:
        name = method_of_label(text)
        if name is not None or text in (self.data.get("presets") or {}) or self.preset_named(text):
            return name or text
        known = {m.label for m in methods.REGISTRY.values()} | set(methods.REGISTRY) | set(self.data.get("presets") or {})
        self.fail(ws, row, col, f"没有名为“{text}”的计分方法", did_you_mean(text, known) + "；从下拉列表中选择")
        return text

    def preset_named(self, text: str) -> bool:
        ws = self.sheet(S.SETTINGS_SHEET)
        return any(str(ws.cell(r, 1).value or "") == S.PRESET_PREFIX + text for r in range(2, min(ws.max_row, 5000) + 1))

    def tree(self) -> None:
        ws = self.sheet(S.TREE_SHEET)
        cols = self.columns(ws)
        params = {p: c for h, c in cols.items() if (p := S.param_of_header(h)) is not None}
        missing = [h for h in S.TREE_COLUMNS if h not in cols]
        if missing:
            raise error(f"“指标体系”缺少列：{'、'.join(missing)}", Location(self.name, cell=f"{ws.title}!A1"),
                        "第 1 行是表头，请保留导出时的各列", code="E-FORMAT")
        top: list[Any] = []
        stack: list[tuple[dict[str, Any], Path]] = []
        width = max(cols.values())
        for row in self.rows(ws):
            if self.blank(ws, row, width):
                continue
            level = str(self.raw(ws, row, cols["层级"]) or "").strip()
            fixed = level == S.INDICATOR_LEVEL
            if not fixed and level not in S.LEVELS:
                self.fail(ws, row, cols["层级"], f"层级应是 {'、'.join(S.LEVELS[:3])} 或 {S.INDICATOR_LEVEL}，实际是“{level}”")
                continue
            depth = S.LEVELS.index(level) if not fixed else None
            if fixed and not stack or (depth is not None and depth > len(stack)):
                self.fail(ws, row, cols["层级"], f"“{level}”上面没有它所属的{'类别' if fixed else S.LEVELS[max(0, (depth or 1) - 1)]}")
                continue
            if fixed:
                parent, parent_path = stack[-1]
                path: Path = parent_path + ("indicators", len(parent.setdefault("indicators", [])))
            else:
                assert depth is not None
                del stack[depth:]
                if depth == 0:
                    path = ("categories", len(top))
                else:
                    parent, parent_path = stack[-1]
                    path = parent_path + ("children", len(parent.setdefault("children", [])))
            node = self.node(ws, row, cols, params, path, fixed)
            if fixed:
                parent["indicators"].append(node)
            elif depth == 0:
                top.append(node)
            else:
                parent["children"].append(node)
            if not fixed:
                stack.append((node, path))
        self.data["categories"] = [_compact(n) for n in top]

    def node(self, ws: Any, row: int, cols: dict[str, int], params: dict[str, int], path: Path, fixed: bool) -> Any:
        node: dict[str, Any] = {}
        self.cells[path] = self.where(ws, row, cols["名称"])   # a finding about the row names its 名称 cell
        for header, field, kind in (("编号", "key", "text"), ("名称", "name" if fixed else "label", "text"),
                                    ("别名", "aliases", "lines"), ("分值", "points", "number")):
            value = self.value(ws, row, cols[header], kind, path + (field,))
            if value is not None:
                node[field] = value
        method = self.value(ws, row, cols["计分方法"], "method", path + ("method",))
        name = None
        if isinstance(method, str):
            method = self.method_name(ws, row, cols["计分方法"], method)
            name = method if method in methods.REGISTRY else None
        given: dict[str, Any] = {}
        own = {p.name: p for p in methods.REGISTRY[name].params} if name else {}
        for pname, col in params.items():
            if ws.cell(row, col).value in (None, ""):
                continue
            if pname not in own:
                self.fail(ws, row, col, f"方法“{methods.REGISTRY[name].label if name else method or '（未填）'}”没有参数 {pname}，这一格应留空",
                          f"该方法的参数：{'、'.join(own) or '无'}")
                continue
            from .write import _param_kind
            value = self.value(ws, row, col, _param_kind(own[pname]), path + ("method", pname))
            if value is not None:
                given[pname] = value
        other = self.value(ws, row, cols[S.OTHER], "yaml", path) if S.OTHER in cols else None
        if other is not None and not isinstance(other, dict):
            self.fail(ws, row, cols[S.OTHER], "其他设置应是 YAML 映射，如 YAML: {when_absent: {pro_rata: [output]}}")
            other = None
        extra = dict(other or {})
        given.update(extra.pop("method_params", None) or {})
        if given and name:
            method = {"use": name, **given}
        if method is not None:
            node["method"] = method
        node.update(extra)
        return node

    def grades(self) -> None:
        ws = self.sheet(S.GRADES_SHEET)
        if ws is None:
            return
        cols = self.columns(ws)
        out: list[Any] = []
        for row in self.rows(ws):
            if self.blank(ws, row, max(cols.values(), default=1)):
                continue
            path: Path = ("grades", len(out))
            grade: dict[str, Any] = {}
            self.cells[path] = self.where(ws, row, cols.get("最低分", 2))
            for header, field, kind in (("等级", "label", "text"), ("最低分", "min", "number"), ("别名", "aliases", "lines")):
                if header in cols and (value := self.value(ws, row, cols[header], kind, path + (field,))) is not None:
                    grade[field] = value
            if S.OTHER in cols and isinstance(other := self.value(ws, row, cols[S.OTHER], "yaml", path), dict):
                grade.update(other)
            out.append(grade.get("YAML", grade) if set(grade) == {"YAML"} else grade)
        self.data["grades"] = out

    def checks(self) -> None:
        from ..checks import KINDS
        ws = self.sheet(S.CHECKS_SHEET)
        if ws is None:
            return
        cols = self.columns(ws)
        params = {p: c for h, c in cols.items() if (p := S.param_of_header(h)) is not None}
        by_label = {k.label: k for k in KINDS.values()} | dict(KINDS)
        out: list[Any] = []
        for row in self.rows(ws):
            if self.blank(ws, row, max(cols.values(), default=1)):
                continue
            path: Path = ("checks", len(out))
            self.cells[path] = self.where(ws, row, cols.get("核对", 1))
            text = self.value(ws, row, cols.get("核对", 1), "text", path + ("kind",))
            kind = by_label.get(text) if isinstance(text, str) else None
            if kind is None:
                self.fail(ws, row, cols.get("核对", 1), f"没有名为“{text}”的核对规则", did_you_mean(str(text), by_label) + "；从下拉列表中选择")
                out.append({"kind": text})
                continue
            check: dict[str, Any] = {"kind": kind.name}
            for header, field, kind_of, dotted in (("编号", "code", "text", ""), ("级别", "severity", "choice", "severity"),
                                                   ("提示语", "message", "text", "")):
                if header in cols and (value := self.value(ws, row, cols[header], kind_of, path + (field,), dotted)) is not None:
                    check[field] = value
            own = {p.name: p for p in kind.params}
            for pname, col in params.items():
                if ws.cell(row, col).value in (None, ""):
                    continue
                if pname not in own:
                    self.fail(ws, row, col, f"核对“{kind.label}”没有参数 {pname}，这一格应留空", f"它的参数：{'、'.join(own) or '无'}")
                    continue
                from .write import _param_kind
                value = self.value(ws, row, col, _param_kind(own[pname]), path + (pname,))
                if value is not None:
                    check[pname] = value
            if S.OTHER in cols and isinstance(other := self.value(ws, row, cols[S.OTHER], "yaml", path), dict):
                check.update(other)
            out.append(check)
        if out:
            self.data["checks"] = out

    def template(self) -> None:
        ws = self.sheet(S.TEMPLATE_SHEET)
        if ws is None:
            return
        keys = dict(S.TEMPLATE_ROWS)
        template: dict[str, Any] = {}
        for row in self.rows(ws):
            label = str(ws.cell(row, 1).value or "").strip()
            if label in keys:
                if (value := self.value(ws, row, 2, "text", ("template", keys[label]))) is not None:
                    template[keys[label]] = value
            elif label == S.OTHER and isinstance(other := self.value(ws, row, 2, "yaml", ("template",)), dict):
                template.update(other)
        if template:
            self.data["template"] = template.get("YAML", template) if set(template) == {"YAML"} else template

    def cases(self) -> dict[str, Any] | None:
        ws = self.sheet(S.CASES_SHEET)
        if ws is None:
            return None
        cols = self.columns(ws)
        out: list[dict[str, Any]] = []
        for row in self.rows(ws):
            if self.blank(ws, row, len(S.CASE_COLUMNS)):
                continue
            case: dict[str, Any] = {}
            expect: dict[str, Any] = {}
            path: Path = ("cases", len(out))
            get = lambda h, kind: self.value(ws, row, cols[h], kind, path) if h in cols else None  # noqa: E731
            if (name := get("用例名称", "text")) is not None:
                case["name"] = name
            submission = get("自评数据", "text")
            if isinstance(submission, str):
                submission = str((self.folder / submission).resolve())
            if submission is not None:
                case["submission"] = submission
            for header, field, kind in (("总分", "total", "number"), ("等级", "grade", "text"),
                                        ("应有的发现", "findings", "lines"), ("不应有的发现", "no_findings", "lines")):
                if (value := get(header, kind)) is not None:
                    expect[field] = value
            if isinstance(more := get("其他预期（YAML）", "yaml"), dict):
                expect.update(more)
            if expect:
                case["expect"] = expect
            if isinstance(more := get(S.OTHER, "yaml"), dict):
                case.update(more)
            out.append(case)
        suite: dict[str, Any] = {}
        extra = ws.cell(1, 10).value
        if isinstance(extra, str) and extra.startswith("YAML:"):
            suite.update(S.decode(extra, "yaml") or {})
        if out:
            suite["cases"] = out
        return suite or None


def _compact(node: Any) -> Any:
    """A category with a label and nothing else is written as its label, as YAML authors write them."""
    if isinstance(node, dict):
        if node.get("children"):
            node["children"] = [_compact(c) for c in node["children"]]
        if set(node) == {"label"}:
            return node["label"]
    return node
