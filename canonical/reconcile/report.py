"""The per-day report finance reads: the states kept apart on each side, and
the variance table whose causes add up exactly to the difference."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from canonical.money import Money, total
from canonical.reconcile.causes import Cause, Component


class State(StrEnum):
    """The order's states finance must not mix up (canonical/status.py)."""

    CAPTURED = "captured"  # paid in the store: provisional commerce demand
    ACCEPTED = "accepted"  # booked in the ERP
    FULFILLED = "fulfilled"  # shipped
    INVOICED = "invoiced"  # revenue: a posted invoice
    REFUNDED = "refunded"  # money back / credit notes


# Which side can tell each state. The store knows what it captured, which
# orders carry the ERP document we wrote back, which it completed and what
# it refunded; the ERP knows what it booked, shipped, invoiced and credited.
# Neither side invents the other's: a state one side cannot know is None.
SIDES: dict[State, tuple[bool, bool]] = {  # (commerce, erp)
    State.CAPTURED: (True, False),
    State.ACCEPTED: (True, True),
    State.FULFILLED: (True, True),
    State.INVOICED: (False, True),
    State.REFUNDED: (True, True),
}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Tally(_Frozen):
    count: int
    amount: Money


class StateTally(_Frozen):
    commerce: Tally | None
    erp: Tally | None


class Variance(_Frozen):
    """One difference, with its cause and the evidence a person checks it by."""

    store: str
    business_day: date
    woo_order_id: int | None
    erp_document: str | None
    workflow_id: str | None
    component: Component
    commerce: Money
    erp: Money
    difference: Money  # commerce - erp
    cause: Cause
    evidence: str

    @model_validator(mode="after")
    def _adds_up(self) -> Variance:
        if self.commerce - self.erp != self.difference:
            raise ValueError(f"difference {self.difference} is not {self.commerce} - {self.erp}")
        return self


class DayReport(_Frozen):
    """One store, one business day, one currency."""

    store: str
    business_day: date
    currency: str
    orders_compared: int
    states: dict[State, StateTally]
    commerce: Money  # store totals less refunds, of the orders that are demand
    erp: Money  # ERP sale totals less credit notes, of the sales not called off
    difference: Money
    variances: list[Variance] = Field(default_factory=list)

    @model_validator(mode="after")
    def _causes_add_up(self) -> DayReport:
        explained = total((v.difference for v in self.variances), self.currency)
        if explained != self.difference or self.commerce - self.erp != self.difference:
            raise ValueError(f"{self.store} {self.business_day}: variances add up to "
                             f"{explained}, the difference is {self.difference}")
        return self

    def by_cause(self) -> dict[Cause, Money]:
        out: dict[Cause, Money] = {}
        for v in self.variances:
            out[v.cause] = out.get(v.cause, Money.zero(self.currency)) + v.difference
        return out

    @property
    def unexplained(self) -> Money:
        return total((v.difference for v in self.variances if v.cause == Cause.UNEXPLAINED),
                     self.currency)

    @property
    def unexplained_abs(self) -> Money:
        """Unexplained differences of both signs do not cancel out for an alert."""
        return Money.of(sum((abs(v.difference.amount) for v in self.variances
                             if v.cause == Cause.UNEXPLAINED), Decimal(0)), self.currency)
