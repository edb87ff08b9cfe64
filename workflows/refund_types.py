"""Inputs, policy and status of the refund and return sagas."""
from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from canonical.entities import Disposition, ReturnLine
from canonical.money import Money


def refund_workflow_id(store: str, woo_order_id: int, n: str | int) -> str:
    return f"refund:{store}:{woo_order_id}:{n}"


def return_workflow_id(store: str, rma: str) -> str:
    return f"return:{store}:{rma}"


def refund_marker(refund_ref: str) -> str:
    """Put in a Woo refund's reason so our own refunds are recognised when
    they come back in order.updated and do not start a second saga."""
    return f"[wooerp {refund_ref}]"


class RefundPolicy(BaseModel):
    auto_approve_below: Decimal = Decimal("0")  # amounts strictly below are auto-approved
    escalate_after_seconds: float = 24 * 3600.0  # undecided that long: needs attention
    max_attempts: int = 8


class LineRequest(BaseModel):
    line_id: int
    quantity: int = Field(gt=0)


class RefundSagaInput(BaseModel):
    store: str
    woo_order_id: int
    key: str  # the n of refund:{store}:{order}:{n}
    origin: Literal["woocommerce", "support", "return"]
    woo_refund_id: int | None = None  # origin woocommerce: money already moved
    amount: Money | None = None  # amount-only refund; else the lines decide
    lines: list[LineRequest] = Field(default_factory=list)
    reason: str = ""
    requested_by: str = "woocommerce"
    disposition: Disposition = Disposition.RESTOCK
    preapproved: bool = False  # a return already authorized by support
    policy: RefundPolicy = Field(default_factory=RefundPolicy)


class Decision(BaseModel):
    by: str
    reason: str = ""


class RefundStatus(BaseModel):
    workflow_id: str
    stage: str
    amount: Money | None
    decision: Literal["approved", "rejected"] | None
    decided_by: str | None
    woo_refund_id: int | None
    credit_note: str | None
    events: list[str]
    pending_action: str | None
    last_error: str | None


class ReturnSagaInput(BaseModel):
    store: str
    rma: str
    woo_order_id: int
    lines: list[ReturnLine]
    reason: str = ""
    authorized_by: str
    refund_policy: RefundPolicy = Field(default_factory=RefundPolicy)
    receive_timeout_seconds: float = 30 * 24 * 3600.0


class ReturnStatus(BaseModel):
    workflow_id: str
    stage: str
    received: dict[int, int]  # line id -> units received
    refund_workflow_id: str | None
    events: list[str]
    pending_action: str | None
    last_error: str | None
