"""The 自评表 workbook: which sheet holds what, where, under which headers.

One description serves the writer (`perfrules init`, `convert … -o x.xlsx`) and the reader (`score x.xlsx`).
The reader finds tables by their headers, not by position: a unit may move columns, add its own, rename a
header to a common variant (年度目标值 for 年度指标值, 权重 for 分值), hide or leave rows blank.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

from ..limits import NumberError, parse_number
from ..zipout import KIND_LABELS

# Key-value sheets: (dotted path in the submission, label in column A).
BASIC = "基本信息"
BASIC_FIELDS: list[tuple[str, str]] = [
    ("unit", "部门（单位）名称"), ("kind", "评价类型"), ("year", "年度"), ("project", "项目名称"),
    ("department", "主管部门"), ("region", "所在地区"), ("title", "报告标题"), ("issuer", "制表单位"),
    ("evaluation.method", "评价方式"), ("evaluation.organ", "评价机构"), ("report_date", "报告日期"),
    ("money_unit", "金额单位"), ("ruleset", "评分规则集"),
]
KINDS = KIND_LABELS
KIND_WORDS = {"部门整体": "unit-overall", "单位整体": "unit-overall", "部门（单位）整体": "unit-overall",
              "整体支出": "unit-overall", "unit-overall": "unit-overall", "项目": "project", "项目支出": "project",
              "project": "project"}

GOALS = "绩效目标"
GOALS_FIELDS = [("goals.expected", "年度预期目标"), ("goals.achieved", "年度实际完成情况")]

CONCLUSION = "自评结论"
CONCLUSION_FIELDS = [
    ("stated.table.total", "自评表总分"), ("stated.table.max", "自评表满分"), ("stated.table.grade", "自评表等级"),
    ("stated.narrative.total", "报告所述总分"), ("stated.narrative.max", "报告所述满分"),
    ("stated.narrative.grade", "报告所述等级"), ("stated.narrative.section", "报告所述位置"),
    ("signatures.leader_date", "评价组组长签字日期"), ("signatures.unit_date", "部门（单位）负责人签章日期"),
    ("signatures.unit_opinion", "部门（单位）意见"),
]

# The budget table: a two-row header (group, then 总额 / 财政拨款 / 其他资金 under each group).
BUDGET = "预算执行"
BUDGET_SINGLE = [("name", "任务名称"), ("content", "主要内容"), ("completion", "完成情况")]
BUDGET_GROUPS = [("budget_initial", "年初预算数"), ("budget", "全年预算数"), ("spent", "全年执行数")]
MONEY_PARTS = [("total", "总额"), ("fiscal", "财政拨款"), ("other", "其他资金")]
BUDGET_TAIL = [("points", "分值"), ("rate", "执行率"), ("self_score", "得分")]
TOTAL_ROW = "金额合计"
BUDGET_NOTES = [("budget.adjusted_reason", "预算调整原因"), ("budget.execution_reason", "执行情况说明")]

INDICATORS = "绩效指标"
INDICATOR_COLUMNS = [
    ("level1", "一级指标"), ("level2", "二级指标"), ("name", "三级指标"), ("target", "年度指标值"),
    ("actual", "实际完成值"), ("unit", "度量单位"), ("points", "分值"), ("self_score", "自评得分"),
    ("explanation", "偏差原因分析及改进措施"), ("applicable", "是否适用"), ("direction", "指标方向"), ("key", "指标编码"),
]

TEAM = "评价小组"
TEAM_COLUMNS = [("name", "姓名"), ("title", "职务（职称）"), ("unit", "工作单位"), ("role", "组内分工")]

NARRATIVE = "评价报告"
NARRATIVE_COLUMNS = [("level", "层级"), ("title", "标题"), ("body", "正文")]

# What the report's text states, for the checks that hold it to the tables (C-FINANCE, C-ASSETS,
# C-OTHER-YEAR, C-STATED-CATEGORY): a table of the income and expense figures the text quotes, the assets and
# staff it quotes, and the per-category scores it claims.
FINANCE = "报告所述收支"
FINANCE_COLUMNS = [("section", "所在章节"), ("year", "年度"), ("income", "收入"), ("expense", "支出"),
                   ("basic", "基本支出"), ("project", "项目支出"), ("balance", "结余")]
FINANCE_NUMBERS = ("income", "expense", "basic", "project", "balance")
ASSETS = "报告所述资产人员"
ASSETS_FIELDS = [("stated.assets.section", "所在章节"), ("stated.assets.total", "资产总额"),
                 ("stated.assets.current", "流动资产"), ("stated.assets.fixed", "固定资产"),
                 ("stated.staff.authorized", "编制人数"), ("stated.staff.actual", "实有人数")]
ASSETS_NUMBERS = ("stated.assets.total", "stated.assets.current", "stated.assets.fixed", "stated.staff.authorized",
                  "stated.staff.actual")
CLAIMS = "报告所述分项得分"
CLAIM_COLUMNS = [("label", "类别"), ("points", "分值"), ("score", "得分")]
CLAIM_NUMBERS = ("points", "score")

EXTRA = "附加数据"
HELP = "填表说明"
OPTIONS = "选项"

# Header variants real forms use, by field. Matched after normalising (full-width folded, spaces and
# punctuation around a word removed).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "level1": ("一级指标", "一级"),
    "level2": ("二级指标", "二级"),
    "name": ("三级指标", "指标内容", "指标名称", "三级", "具体指标"),
    "target": ("年度指标值", "年度目标值", "目标值", "指标值", "年度目标", "预期目标值", "计划值"),
    "actual": ("实际完成值", "实际值", "完成值", "全年实际值", "实际完成情况", "实际完成"),
    "unit": ("度量单位", "计量单位", "单位"),
    "points": ("分值", "权重", "标准分值", "分数"),
    "self_score": ("自评得分", "得分", "评分"),
    "explanation": ("偏差原因分析及改进措施", "偏差原因", "原因分析", "扣分原因", "偏差原因分析", "说明", "备注"),
    "applicable": ("是否适用", "适用"),
    "direction": ("指标方向", "方向"),
    "key": ("指标编码", "编码"),
}
BUDGET_SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": ("任务名称", "主要任务", "项目名称", "任务", "名称"),
    "content": ("主要内容", "任务内容", "内容"),
    "completion": ("完成情况", "任务完成情况"),   # 年度主要任务完成情况 is the row-group label of the table, not a column
    "points": ("分值",), "rate": ("执行率", "预算执行率"), "self_score": ("得分", "自评得分"),
    "budget_initial": ("年初预算数", "年初预算"), "budget": ("全年预算数", "全年预算", "调整后预算数", "预算数"),
    "spent": ("全年执行数", "全年执行", "执行数", "实际支出"),
    "total": ("总额", "合计", "小计", "资金总额"), "fiscal": ("财政拨款", "其中财政拨款", "财政资金"),
    "other": ("其他资金", "其他"),
}

NOT_APPLICABLE = ("否", "不适用", "n", "no", "false")


def header_key(text: object) -> str:
    """A header as matched: full-width folded, spaces, line breaks and punctuation dropped."""
    folded = unicodedata.normalize("NFKC", str(text or ""))
    return re.sub(r"[\s:：()（）\[\]【】*＊·、,，]+", "", folded)


def field_of(text: object, synonyms: dict[str, tuple[str, ...]]) -> str | None:
    """The field a header names: an exact synonym first, then the longest synonym it starts with (得分系数（%）
    is the coefficient, not 得分; 执行率得分（分） the score, not 执行率)."""
    key = header_key(text)
    if not key:
        return None
    exact, prefixes = _folded(synonyms)
    if key in exact:
        return exact[key]
    for word, field in prefixes:   # longest first
        if key.startswith(word):
            return field
    return None


_FOLDED: dict[int, tuple[dict[str, tuple[str, ...]], dict[str, str], list[tuple[str, str]]]] = {}


def _folded(synonyms: dict[str, tuple[str, ...]]) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """A vocabulary's words folded once (they were folded again for every cell: 20 s for a 300-table file)."""
    cached = _FOLDED.get(id(synonyms))
    if cached is None or cached[0] is not synonyms:
        exact: dict[str, str] = {}
        prefixes: list[tuple[str, str]] = []
        for field, words in synonyms.items():
            for w in words:
                word = header_key(w)
                exact.setdefault(word, field)
                if len(word) >= 2:
                    prefixes.append((word, field))
        prefixes.sort(key=lambda pair: -len(pair[0]))   # stable: among equal lengths, the dict's order
        cached = (synonyms, exact, prefixes)
        _FOLDED[id(synonyms)] = cached
    return cached[1], cached[2]


def number_in_text(text: str, unit: str = "") -> Decimal | None:
    """A number as a clerk types it into a table cell, or None: full-width digits, thousands separators and
    spaces are allowed, and a trailing unit word (分) when given."""
    clean = unicodedata.normalize("NFKC", text).replace(",", "").replace(" ", "").strip()
    if unit:
        clean = clean.removesuffix(unit)
    try:
        return parse_number(clean)
    except NumberError:
        return None


def get_path(data: dict[str, object], dotted: str) -> object:
    """The value at a dotted path of a submission (`goals.expected`), or None."""
    value: object = data
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def set_path(data: dict[str, object], dotted: str, value: object) -> None:
    """Set the value at a dotted path, creating the mappings on the way."""
    parts = dotted.split(".")
    node = data
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        assert isinstance(child, dict)
        node = child
    node[parts[-1]] = value


def form_paths() -> set[str]:
    """Every submission field the 自评表 has a cell for, as a dotted path (`[]` for each row of a table):
    what the writer puts in a cell and the reader reads back. tests/test_form_fields.py holds the form to
    what every shipped check reads."""
    paths = {p for p, _ in BASIC_FIELDS + GOALS_FIELDS + CONCLUSION_FIELDS + BUDGET_NOTES + ASSETS_FIELDS}
    line = [k for k, _ in BUDGET_SINGLE] + [f"{g}.{m}" for g, _ in BUDGET_GROUPS for m, _ in MONEY_PARTS] + \
        [k for k, _ in BUDGET_TAIL]
    paths |= {f"budget.tasks[].{k}" for k in line} | {f"budget.total.{k}" for k in line if k not in ("name", "content")}
    paths |= {f"indicators[].{k}" for k, _ in INDICATOR_COLUMNS}
    paths |= {f"team[].{k}" for k, _ in TEAM_COLUMNS}
    paths |= {"narrative[].title", "narrative[].body", "narrative[].sections"}
    paths |= {f"stated.finance[].{k}" for k, _ in FINANCE_COLUMNS}
    paths |= {f"stated.narrative.categories[].{k}" for k, _ in CLAIM_COLUMNS}
    return paths


def form_has(path: str) -> bool:
    """Whether the form has a cell for `path`, or a table or block of cells under it (team, stated.assets)."""
    cells = form_paths()
    return path in cells or any(c.startswith((path + "[].", path + ".")) for c in cells)
