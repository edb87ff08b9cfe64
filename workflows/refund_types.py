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
    escalate_after_seconds: float = 24 * 3600.0  # undecided (or unsent) that long: needs attention
    max_attempts: int = 8
    # Gateways that cannot refund by themselves (WooCommerce's offline ones):
    # the refund is recorded in the store with api_refund=false, the credit
    # note posted, and support returns the money and confirms it (money_sent).
    manual_gateways: list[str] = Field(default_factory=lambda: ["bacs", "cheque", "cod"])
    # Any other gateway refusing to refund (its plugin gone, no refund support):
    # the same as a manual gateway, or park the refund for a person.
    on_gateway_refusal: Literal["return_by_hand", "park"] = "return_by_hand"


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


class MoneySent(BaseModel):
    """Support's word that a refund's money went back by hand."""

    by: str = Field(min_length=1, max_length=200)
    note: str = Field("", max_length=1000)  # the bank transfer's reference, the cheque number


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
    # How the money goes back: through the payment gateway, or by hand (then
    # the saga waits in awaiting_manual_refund until support confirms it).
    money_back: Literal["gateway", "by_hand"] | None = None
    money_sent_by: str | None = None


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
