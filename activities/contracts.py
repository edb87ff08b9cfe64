"""What activities take and return: the payloads workflows send and get back.

Pure (canonical + pydantic), so it is safe in the workflow sandbox; the
names, queues and types of the activities themselves are in refs.py, the
implementations next to them do the I/O. ERP documents come back as the
canonical read model (canonical/erp.py), unchanged.
"""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from canonical.entities import Order, Refund, RefundLine
from canonical.money import Money


class Payload(BaseModel):
    model_config = ConfigDict(frozen=True)


class ValidateOrderInput(Payload):
    order: Order
    total_tolerance: Money | None = None  # re-added total vs Woo's total
    # Historical orders shipped long ago: today's stock says nothing about them.
    check_stock: bool = True


class ValidationReport(Payload):
    erp_party_id: int | None = None
    problems: list[str] = Field(default_factory=list)  # empty: the order is valid

    @property
    def ok(self) -> bool:
        return not self.problems


class AcceptOrderInput(Payload):
    order: Order
    external_ref: str
    erp_party_id: int


class WriteBackInput(Payload):
    store: str
    woo_order_id: int
    erp_document: str


class MarkShippedInput(Payload):
    store: str
    woo_order_id: int
    erp_document: str
    tracking_number: str | None = None


class CancelWooOrderInput(Payload):
    store: str
    woo_order_id: int
    reason: str


class CreateWooRefundInput(Payload):
    store: str
    woo_order_id: int
    refund_ref: str  # idempotency: stored in the refund's reason/meta and looked up first
    amount: Money
    reason: str = ""
    lines: list[RefundLine] = Field(default_factory=list)
    api_refund: bool = True
    restock: bool = False


class CreditNoteInput(Payload):
    sale_external_ref: str
    refund_ref: str
    refund: Refund
    restock: bool = True


class OrderRef(Payload):
    store: str
    woo_order_id: int


class RefundRef(Payload):
    store: str
    woo_order_id: int
    woo_refund_id: int


class PingInput(Payload):
    message: str
    sent_at: datetime  # workflow time, UTC


class Forwarded(Payload):
    """An order payload handed to its saga (signal-with-start)."""

    workflow_id: str
    known: bool  # the saga existed already (it just got the newer payload)
    note: str
