"""The budget block's figures as a scoring method reads them (execution_rate's facts): worked out when first
read, for the scorer and the numbers-only plan alike."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Iterator, Mapping

from .methods import fmt_once
from .submission import Submission
from .targets import Value

HUNDRED = Decimal(100)


class BudgetFacts(Mapping[str, Any]):
    """The facts the budget indicator's method is given (budget, budget_initial, spent, their 财政拨款 lines,
    the stated rate, and the rate when it can be worked out, in that order), each worked out when the method
    first reads it: execution_rate reads the 财政拨款 totals and the stated rate only when the totals are
    blank. The scorer and the plan both give it."""

    _KEYS = ("budget", "budget_initial", "spent", "budget_fiscal", "budget_initial_fiscal", "spent_fiscal",
             "stated_rate")

    def __init__(self, sub: Submission) -> None:
        self.sub = sub
        self.known: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        if key not in self.known:
            self.known[key] = self._work_out(key)
        return self.known[key]

    def _work_out(self, key: str) -> Any:
        sub = self.sub
        if key == "stated_rate":
            return sub.stated_rate()
        if key == "rate":
            budget, spent = self["budget"], self["spent"]
            if budget and spent is not None:
                return spent / budget
            raise KeyError(key)
        if key in self._KEYS:
            return sub.budget_total(key.removesuffix("_fiscal"), "fiscal" if key.endswith("_fiscal") else "total")
        raise KeyError(key)

    def rate_value(self) -> Value | None:
        """The execution rate as the indicator's actual value (98.5%), or None when it cannot be worked out."""
        budget, spent = self["budget"], self["spent"]
        if not budget or spent is None:
            return None
        return Value(text=f"{fmt_once(spent / budget * HUNDRED)}%", number=spent / budget * HUNDRED, unit="%")

    def __iter__(self) -> Iterator[str]:
        yield from self._KEYS
        if self["budget"] and self["spent"] is not None:
            yield "rate"

    def __len__(self) -> int:
        return sum(1 for _ in self)
