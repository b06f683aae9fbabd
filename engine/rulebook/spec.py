"""Which cell of the 评分标准 workbook holds what, and how a value is written in a cell and read from it.

A cell's kind decides both ways: text, int, number (Decimal, exact), bool (是 / 否), lines (a list of texts,
one a line), kinds (评价类型 in Chinese), choice (an enum shown by its Chinese word), method (a scoring
method by its Chinese name, or a preset's name), yaml (anything else, as YAML flow text).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

SETTINGS_SHEET, TREE_SHEET, GRADES_SHEET, CHECKS_SHEET = "说明", "指标体系", "等级", "核对规则"
TEMPLATE_SHEET, CASES_SHEET = "报告模板", "测试用例"
OTHER = "其他设置（YAML）"
TREE_SAID, CHECK_SAID = "评分规则（自动生成，不读回）", "核对内容（自动生成，不读回）"
OPERATOR_WORDS = {">=": "≥", ">": "＞", "=": "＝", "<=": "≤", "<": "＜", "qualitative": "定性", "deadline": "期限"}

# enums shown in Chinese: path → {value: word}
CHOICES: dict[str, dict[str, str]] = {
    "rounding.mode": {"half-up": "四舍五入", "half-even": "四舍六入五成双", "down": "截尾"},
    "rounding.grade_on": {"rounded": "按取整后的总分", "exact": "按未取整的总分"},
    "defaults.points_mismatch": {"error": "报错", "warn": "警告并按原分值计", "rescale": "按比例折算"},
    "defaults.bare_operator": {op: word for op, word in OPERATOR_WORDS.items() if op in (">=", ">", "=", "<=", "<")},
    "defaults.fractions": {"refuse": "报错并说明两种读法", "as_rate": "读作百分数"},
    "severity": {"error": "错误", "warning": "警告", "info": "提示"},
    "kinds": {"unit-overall": "部门整体", "project": "项目"},
}

# 说明: (label, dotted path, kind, note)
SETTINGS: list[tuple[str, str, str, str]] = [
    ("格式版本", "schema_version", "int", "规则集格式的版本，现为 1"),
    ("规则集编号", "id", "text", "如 shaanxi/zizhou-unit-overall（字母、数字、/、-）"),
    ("版本", "version", "text", "如 2026.1；已发布的版本不再修改，修订时用新版本号"),
    ("继承", "extends", "text", "上级标准的 编号@版本；填写后本表只需写与上级不同之处，也可保留上级的全部内容"),
    ("标题", "title", "text", ""),
    ("说明", "description", "text", ""),
    ("依据", "basis", "lines", "文件名称，一行一个"),
    ("优先级", "priority", "int", "同时适用时优先级高者被自动选用"),
    ("适用类型", "applies_to.kinds", "kinds", "部门整体、项目，一行一个"),
    ("适用年度起", "applies_to.years.from", "int", ""),
    ("适用年度止", "applies_to.years.to", "int", ""),
    ("适用地区", "applies_to.regions", "lines", "地区名称开头，一行一个"),
    ("得分小数位", "rounding.decimals", "int", "0–6"),
    ("总分小数位", "rounding.total_decimals", "int", "0–6"),
    ("取舍方式", "rounding.mode", "choice", ""),
    ("等级依据", "rounding.grade_on", "choice", ""),
    ("未写比较符时按", "defaults.bare_operator", "choice", "年度指标值只写数字时的比较符"),
    ("分值不一致时", "defaults.points_mismatch", "choice", "指标分值之和与类别分值不符时"),
    ("核对容差", "defaults.tolerance", "number", "金额、分数核对允许的差额"),
    ("小数读法", "defaults.fractions", "choice", "0.98 这样的小数与百分数目标比较时"),
    ("比率指标的名称词", "defaults.rate_names", "lines", "名称含这些词时视为比率指标，一行一个"),
    ("扁平指标表归入", "defaults.flat_category", "text", "没有一级、二级标签的指标归入的类别编号"),
    ("越大越好的名称词", "defaults.direction_words.higher", "lines", "未写比较符时按名称判断方向"),
    ("越小越好的名称词", "defaults.direction_words.lower", "lines", ""),
    *[(f"{word} 目标的计分方法", f"methods_by_operator.{op}", "method", "单位自设指标按年度指标值的写法选方法")
      for op, word in OPERATOR_WORDS.items()],
    ("总分封顶", "caps", "yaml", "按预算执行率封顶总分，如 [{execution_below: 0.8, max_total: 89}]"),
]
SETTINGS_BY_LABEL = {label: (path, kind) for label, path, kind, _ in SETTINGS}
SETTINGS_BY_PATH = {path: (label, kind) for label, path, kind, _ in SETTINGS}
PRESET_PREFIX = "预设方法："
TEMPLATE_ROWS = [("模板集", "set"), ("模板版本", "version")]

# 指标体系 and 核对规则: fixed columns before the parameters, then 评分规则 / 核对内容 and 其他设置
TREE_COLUMNS = ["层级", "编号", "名称", "别名", "分值", "计分方法"]
CHECK_COLUMNS = ["核对", "编号", "级别", "提示语"]
GRADE_COLUMNS = ["等级", "最低分", "别名", OTHER]
CASE_COLUMNS = ["用例名称", "自评数据", "总分", "等级", "应有的发现", "不应有的发现", "其他预期（YAML）", OTHER]
LEVELS = ["一级", "二级", "三级", "四级", "五级", "六级"]
INDICATOR_LEVEL = "指标"


def param_header(name: str, doc: str) -> str:
    """A parameter's column: its meaning first, the parameter's name in brackets (完成比例上限（cap）)."""
    short = doc.split("，")[0].split("（")[0].split("；")[0].strip() or name
    return f"{short[:14]}（{name}）"


def param_of_header(header: str) -> str | None:
    text = str(header or "").strip()
    if text in (OTHER, TREE_SAID, CHECK_SAID, "其他预期（YAML）"):
        return None
    if text.endswith("）") and "（" in text:
        return text[text.rindex("（") + 1:-1]
    return None


# ------------------------------------------------------------------------------------------ encoding

class Unreadable(Exception):
    """A cell whose text is not what its column holds; the message says what was expected."""


def flow(value: Any) -> str:
    from ..formats.yamltext import flow as _flow
    return _flow(value)


def encode(value: Any, kind: str, path: str = "") -> Any:
    """What to put in the cell for `value` (a str, int, Decimal or bool; openpyxl writes it)."""
    if value is None:
        return None
    if kind == "lines" and isinstance(value, list) and value and all(isinstance(v, str) and "\n" not in v and v.strip() == v and v
                                                           for v in value):
        return "\n".join(value)
    if kind == "kinds" and isinstance(value, list) and value and all(v in CHOICES["kinds"] for v in value):
        return "\n".join(CHOICES["kinds"][v] for v in value)
    if kind == "choice" and isinstance(value, str) and value in CHOICES.get(path, {}):
        return CHOICES[path][value]
    if kind == "bool" and isinstance(value, bool):
        return "是" if value else "否"
    if kind in ("int", "number") and isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return number_cell(value)
    if kind in ("text", "method") and isinstance(value, str) and not _ambiguous(value):
        return value
    return "YAML: " + flow(value)   # anything the column does not hold natively, kept exactly


def _ambiguous(text: str) -> bool:
    return text.startswith("YAML:") or text != text.strip() or not text


def number_cell(value: int | Decimal) -> Any:
    """An int, or a Decimal Excel can hold exactly (15 significant digits) as a number; else its exact text."""
    if isinstance(value, int):
        return value if abs(value) < 10 ** 15 else str(value)
    if value.is_finite() and len(value.as_tuple().digits) <= 15 and -300 < value.adjusted() < 300:
        return value   # openpyxl writes a Decimal's own digits; Excel keeps 15 significant digits
    return format(value, "f")


def decode(raw: Any, kind: str, path: str = "") -> Any:
    """The value a cell means for its column's kind; Unreadable with what was expected."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, str) and raw.startswith("YAML:"):
        try:
            from ..yamlio import load_text
            return load_text(raw[5:].strip(), "cell").data
        except Exception as exc:  # noqa: BLE001 - a PerfrulesError from the guarded loader: the cell's problem
            raise Unreadable(f"YAML 文字无法读取：{getattr(exc, 'first', exc)}") from None
    if kind == "lines":
        return [line.strip() for line in str(raw).splitlines() if line.strip()]
    if kind == "kinds":
        words = {w: v for v, w in CHOICES["kinds"].items()}
        out = []
        for line in (x.strip() for x in str(raw).replace("、", "\n").splitlines()):
            if line:
                from ..formats.layout import KIND_WORDS
                out.append(words.get(line) or KIND_WORDS.get(line) or line)
        return out
    if kind == "choice":
        words = {w: v for v, w in CHOICES.get(path, {}).items()}
        text = str(raw).strip()
        return words.get(text, text)
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip()
        if text in ("是", "true", "True", "TRUE"):
            return True
        if text in ("否", "false", "False", "FALSE"):
            return False
        raise Unreadable(f"应填“是”或“否”，实际是“{text}”")
    if kind in ("int", "number"):
        return to_number(raw, kind == "int")
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, (int, float)):   # a number typed where text belongs (a version 2026.1): its text
        return format(to_number(raw, False), "f") if isinstance(raw, float) else str(raw)
    return str(raw).strip()


def to_number(raw: Any, integer: bool) -> int | Decimal:
    if isinstance(raw, bool):
        raise Unreadable(f"应填数字，实际是 {'是' if raw else '否'}")
    try:
        value = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(str(raw).strip().replace(",", ""))
    except InvalidOperation:
        raise Unreadable(f"应填数字，实际是“{raw}”") from None
    if not value.is_finite():
        raise Unreadable(f"应填有限的数字，实际是“{raw}”")
    if integer or (value == value.to_integral_value() and not (isinstance(raw, str) and "." in raw)
                   and not (isinstance(raw, float) and "." in repr(raw) and not repr(raw).endswith(".0"))):
        if value != value.to_integral_value():
            raise Unreadable(f"应填整数，实际是“{raw}”")
        return int(value)
    return value


def yaml_safe_dump(data: Any) -> str:
    from ..formats.yamltext import plain
    return yaml.safe_dump(plain(data), allow_unicode=True, sort_keys=False, width=120, default_flow_style=None)
