"""Checks of the money a submission states: task sums, fund sources, the finance table, assets, and the
execution rate against the budget."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterator, Mapping

from .checkkit import Context, Hit, ZERO, _off, _tol
from .errors import Path
from .methods import fmt, fmt_once
from .targets import ValueError_, decimal_or_none as _dec, parse_value


_MONEY_PARTS = (("total", "总额"), ("fiscal", "财政拨款"), ("other", "其他资金"))


_BLOCKS = (("budget", "全年预算数"), ("budget_initial", "年初预算数"), ("spent", "全年执行数"))


@dataclass(frozen=True)
class MoneyLine:
    """A task line or the 金额合计 line, with its amounts read as numbers once (block → part → amount)."""

    path: Path
    name: str
    raw: Mapping[str, Any]
    amounts: Mapping[str, Mapping[str, Decimal | None]]
    is_total: bool


def _money_lines(ctx: Context) -> list[MoneyLine]:
    """Every money line of the submission, tasks first, found once per context (five checks read them)."""
    if ctx._money is None:
        budget = ctx.sub.data.get("budget") or {}
        lines: list[tuple[Path, str, Any, bool]] = [
            (("budget", "tasks", i), t.get("name") or f"第 {i + 1} 项任务", t, False)
            for i, t in enumerate(budget.get("tasks") or [])]
        if budget.get("total"):
            lines.append((("budget", "total"), "金额合计", budget["total"], True))
        ctx._money = [MoneyLine(path, name, raw, {block: _amounts(raw.get(block)) for block, _ in _BLOCKS}, is_total)
                      for path, name, raw, is_total in lines]
    return ctx._money


def _amounts(money: Any) -> dict[str, Decimal | None]:
    money = money or {}
    return {part: _dec(money.get(part)) for part, _ in _MONEY_PARTS}


def budget_sums(ctx: Context, p: Mapping[str, Any]) -> Iterator[Hit]:
    lines = _money_lines(ctx)
    tasks = [line.amounts for line in lines if not line.is_total]
    total = next((line.amounts for line in lines if line.is_total), None)
    if total is None:
        return
    for block, block_label in _BLOCKS:
        for part, part_label in _MONEY_PARTS:
            stated = total[block][part]
            values = [v for t in tasks if (v := t[block][part]) is not None]
            if stated is None or not values:
                continue
            summed = sum(values, ZERO)
            if _off(summed, stated, _tol(ctx, p)):
                yield Hit(f"各项任务{block_label}（{part_label}）合计 {fmt(summed)} {ctx.money}，金额合计行为 "
                          f"{fmt(stated)} {ctx.money}，相差 {fmt(stated - summed)} {ctx.money}",
                          ("budget", "total", block, part), "金额合计")


def money_split(ctx: Context, p: Mapping[str, Any]) -> Iterator[Hit]:
    for line in _money_lines(ctx):
        path, name = line.path, line.name
        for block, block_label in _BLOCKS:
            money = line.amounts[block]
            total, fiscal, other = money["total"], money["fiscal"], money["other"]
            if total is not None and fiscal is not None and other is None and fiscal > total + _tol(ctx, p):
                yield Hit(f"“{name}”{block_label}：财政拨款 {fmt(fiscal)} {ctx.money} 超过总额 {fmt(total)} {ctx.money}"
                          "（其他资金未填）", path + (block,), name)
                continue
            if None in (total, fiscal, other):
                continue
            assert total is not None and fiscal is not None and other is not None
            if _off(fiscal + other, total, _tol(ctx, p)):
                yield Hit(f"“{name}”{block_label}：财政拨款 {fmt(fiscal)} + 其他资金 {fmt(other)} = {fmt(fiscal + other)}"
                          f" {ctx.money}，与总额 {fmt(total)} {ctx.money} 不符", path + (block,), name)


def finance_balance(ctx: Context, p: Mapping[str, Any]) -> Iterator[Hit]:
    stated = (ctx.sub.data.get("stated") or {}).get("finance") or []
    for i, f in enumerate(stated):
        where = f.get("section") or f"第 {i + 1} 处财务数字"
        income, expense, balance = _dec(f.get("income")), _dec(f.get("expense")), _dec(f.get("balance"))
        basic, project = _dec(f.get("basic")), _dec(f.get("project"))
        path = ("stated", "finance", i)
        if income is not None and expense is not None and _off(income, expense + (balance or ZERO), _tol(ctx, p)):
            yield Hit(f"{where}：收入 {fmt(income)} {ctx.money} ≠ 支出 {fmt(expense)} + 结余 {fmt(balance or ZERO)}",
                      path + ("income",), where)
        if expense is not None and basic is not None and project is not None and _off(basic + project, expense, _tol(ctx, p)):
            yield Hit(f"{where}：基本支出 {fmt(basic)} + 项目支出 {fmt(project)} = {fmt(basic + project)} {ctx.money}，"
                      f"与所述支出 {fmt(expense)} {ctx.money} 不符，相差 {fmt(basic + project - expense)} {ctx.money}",
                      path + ("basic",), where)


def assets_sum(ctx: Context, p: Mapping[str, Any]) -> Iterator[Hit]:
    assets = (ctx.sub.data.get("stated") or {}).get("assets") or {}
    total, current, fixed = _dec(assets.get("total")), _dec(assets.get("current")), _dec(assets.get("fixed"))
    if None in (total, current, fixed):
        return
    assert total is not None and current is not None and fixed is not None
    if _off(current + fixed, total, _tol(ctx, p)):
        yield Hit(f"资产总额 {fmt(total)} {ctx.money}，流动资产 {fmt(current)} + 固定资产 {fmt(fixed)} = "
                  f"{fmt(current + fixed)} {ctx.money}，相差 {fmt(total - current - fixed)} {ctx.money}", ("stated", "assets", "total"),
                  "资产总额")


def execution_within_budget(ctx: Context, p: Mapping[str, Any]) -> Iterator[Hit]:
    for line in _money_lines(ctx):
        path, name = line.path, line.name
        budget, spent = line.amounts["budget"]["total"], line.amounts["spent"]["total"]
        if budget is not None and spent is not None and spent - budget > _tol(ctx, p):
            yield Hit(f"“{name}”执行数 {fmt(spent)} {ctx.money} 超过预算数 {fmt(budget)} {ctx.money}", path + ("spent",), name)


def _rate(text: Any) -> Decimal | None:
    if text is None or isinstance(text, bool):
        return None
    if isinstance(text, (int, Decimal)):
        value = Decimal(text)
        return value * 100 if value <= 1 else value
    try:
        parsed = parse_value(str(text))
    except ValueError_:
        return None
    return parsed.number if parsed is not None else None


def stated_rates(ctx: Context, p: Mapping[str, Any]) -> Iterator[Hit]:
    for line in _money_lines(ctx):
        path, name = line.path, line.name
        stated = _rate(line.raw.get("rate"))
        budget, spent = line.amounts["budget"]["total"], line.amounts["spent"]["total"]
        if stated is None or not budget or spent is None:
            continue
        actual = spent / budget * 100
        if abs(actual - stated) > p["tolerance_points"]:
            yield Hit(f"“{name}”所填执行率 {fmt(stated)}%，按 {fmt_once(spent)}/{fmt_once(budget)} 计算为 {fmt_once(actual)}%",
                      path + ("rate",), name)


def execution_floor(ctx: Context, p: Mapping[str, Any]) -> Iterator[Hit]:
    budget, spent = ctx.sub.budget_total("budget"), ctx.sub.budget_total("spent")
    reason = (ctx.sub.data.get("budget") or {}).get("execution_reason")
    if not budget or spent is None or reason:
        return
    rate = spent / budget
    if rate < p["floor"]:
        yield Hit(f"预算执行率 {fmt(rate * 100)}% 低于 {fmt(p['floor'] * 100)}%，未说明原因（请在“执行情况说明”中写明）",
                  ("budget",), "预算执行率")
