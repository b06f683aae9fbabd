"""Consistency checks: declarative ruleset entries (kind + parameters + severity) run after scoring.

Each kind is one function (in the checks_*.py module of its family) plus one registry entry here, like the
scoring methods. A check yields `Hit`s (message,
path in the submission, subject); the runner stamps them with the entry's severity and code. Checks read
the submission and the scorecard; they never change a score.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable, Iterable, Mapping

from .checkkit import (KINDS, _TOL, CheckKind, CompiledCheck, Context, Hit, compile_check, register,
                       run_checks)
from .checks_money import (_BLOCKS, _MONEY_PARTS, assets_sum, budget_sums, execution_floor, execution_within_budget,
                           finance_balance, money_split, stated_rates)
from .checks_report import dates, expression, other_year_figures, required_sections
from .checks_scores import (deduction_without_explanation, missed_without_explanation, over_achievement,
                            row_completeness, score_range, stated_grade, stated_scores)
from .methods import Param

# What the rest of the engine uses, from one place.
__all__ = ["KINDS", "CheckKind", "CompiledCheck", "Context", "Hit", "compile_check", "run_checks"]


_MONEY = tuple(f"budget.{line}.{block}.{part}" for line in ("tasks[]", "total") for block, _ in _BLOCKS
               for part, _ in _MONEY_PARTS)


READS: dict[str, tuple[str, ...]] = {
    "budget_sums": _MONEY, "money_split": _MONEY,
    "finance_balance": tuple(f"stated.finance[].{k}" for k in ("income", "expense", "basic", "project", "balance")),
    "assets_sum": ("stated.assets.total", "stated.assets.current", "stated.assets.fixed"),
    "execution_within_budget": _MONEY,
    "stated_rates": _MONEY + ("budget.tasks[].rate", "budget.total.rate"),
    "execution_floor": _MONEY + ("budget.execution_reason",),
    "score_range": ("indicators[].points", "indicators[].self_score"),
    "deduction_without_explanation": ("indicators[].target", "indicators[].actual", "indicators[].self_score",
                                      "indicators[].explanation"),
    "missed_without_explanation": ("indicators[].target", "indicators[].actual", "indicators[].explanation"),
    "over_achievement": ("indicators[].target", "indicators[].actual", "indicators[].explanation"),
    "row_completeness": ("indicators[].points", "indicators[].self_score"),
    "stated_scores": ("stated.table.total", "stated.table.max", "stated.narrative.total",
                      "stated.narrative.categories[].label", "stated.narrative.categories[].points",
                      "stated.narrative.categories[].score", "indicators[].self_score", "indicators[].points"),
    "stated_grade": ("stated.table.grade", "stated.narrative.grade", "stated.table.total", "stated.narrative.total"),
    "dates": ("report_date", "signatures.leader_date", "signatures.unit_date", "year"),
    "other_year_figures": ("stated.finance[].year", "stated.finance[].section", "year"),
    "required_sections": ("narrative[].title", "narrative[].body"),   # and the fields its `fields` name
    "expression": ("year", "stated.table.total", "stated.narrative.total") + _MONEY,
}


def _k(name: str, label: str, func: Callable[[Context, Mapping[str, Any]], Iterable[Hit]], code: str, severity: str,
       params: tuple[Param, ...] = (), doc: str = "") -> None:
    register(CheckKind(name, label, func, code, severity, params, doc, READS.get(name, ())))


_k("budget_sums", "任务合计与金额合计", budget_sums, "C-BUDGET-SUM", "error", (_TOL,), "各项任务的预算数、执行数之和等于金额合计行。")
_k("money_split", "财政拨款 + 其他资金 = 总额", money_split, "C-MONEY-SPLIT", "error", (_TOL,), "每一行的资金来源相加等于总额。")
_k("finance_balance", "收支平衡", finance_balance, "C-FINANCE", "error", (_TOL,), "收入 = 支出 + 结余；基本支出 + 项目支出 = 支出。")
_k("assets_sum", "资产合计", assets_sum, "C-ASSETS", "error", (_TOL,), "资产总额 = 流动资产 + 固定资产。")
_k("execution_within_budget", "执行不超预算", execution_within_budget, "C-OVERSPENT", "warning", (_TOL,),
   "执行数不大于预算数。")
_k("stated_rates", "执行率复核", stated_rates, "C-RATE", "warning",
   (Param("tolerance_points", "decimal", Decimal("0.5"), doc="允许相差的百分点"),), "所填执行率与 执行数/预算数 一致。")
_k("execution_floor", "执行率下限", execution_floor, "C-LOW-EXECUTION", "warning",
   (Param("floor", "decimal", Decimal("0.9"), doc="执行率下限（比例）"),), "执行率低于下限时须说明原因。")
_k("score_range", "自评分范围", score_range, "C-SCORE-RANGE", "error", (), "自评分在 [0, 分值] 之内。")
_k("deduction_without_explanation", "达标扣分须说明", deduction_without_explanation, "C-DEDUCT-NO-REASON", "warning", (),
   "已达到目标却扣分的指标须写明扣分原因。")
_k("missed_without_explanation", "未达标须说明", missed_without_explanation, "C-MISSED-NO-REASON", "warning", (),
   "未达到目标的指标须写偏差原因分析及改进措施。")
_k("over_achievement", "超额完成须说明", over_achievement, "C-OVER-TARGET", "warning",
   (Param("ratio", "decimal", Decimal("1.3"), doc="实际/目标达到该比例时须说明"),), "大幅超额完成（默认 ≥130%）须说明原因。")
_k("row_completeness", "自评分完整", row_completeness, "C-NO-SELF-SCORE", "warning", (), "有分值的指标都应填自评得分。")
_k("stated_scores", "所述分数核对", stated_scores, "C-STATED", "error", (_TOL,),
   "自评表总分、正文总分、各类得分与逐行相加及规则得分核对。")
_k("stated_grade", "所述等级核对", stated_grade, "C-GRADE", "warning", (), "所述等级与所述总分、规则得分的等级核对。")
_k("dates", "日期核对", dates, "C-DATE", "error",
   (Param("max_days", "int", 60, doc="签字日期与报告日期最多相差的天数"),
    Param("max_years_after", "int", 1, doc="报告日期最多晚于评价年度几年")), "报告日期、签字日期合理且一致。")
_k("other_year_figures", "他年数字", other_year_figures, "C-OTHER-YEAR", "warning", (), "报告所述财务数字属于评价年度。")
_k("required_sections", "必填内容", required_sections, "C-REQUIRED", "warning",
   (Param("sections", "list", [], doc="必须有内容的报告章节（标题包含的文字）"),
    Param("fields", "list", [], doc="必须填写的字段（如 goals.expected）")), "报告章节和字段不得为空。")
_k("expression", "自定义条件", expression, "C-EXPR", "warning",
   (Param("when", "str", None, required=True, doc="simpleeval 条件表达式，成立时报告"),),
   "条件成立时报告 message；可用 total、max_total、self_total、table_total、narrative_total、budget、spent、rate、"
   "year、indicator_count、score_<类别键>、points_<类别键>。")
