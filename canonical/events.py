"""Business events: the facts the ledger records, one saga step at a time.

Every event names its saga (`correlation_id` = workflow id) and carries an
`event_id` that is derived from the saga and the step, so that recording the
same fact twice (a retried activity, a replayed workflow) stays one fact.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator

from canonical import SCHEMA_VERSION
from canonical.money import Money

SourceSystem = Literal["woocommerce", "erp", "wooerp", "support"]


def event_id(correlation_id: str, event_type: str, discriminator: str | int = "") -> str:
    """The idempotency key of a saga step's event."""
    suffix = f":{discriminator}" if discriminator != "" else ""
    return f"{correlation_id}:{event_type}{suffix}"


class BusinessEvent(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: int = SCHEMA_VERSION
    event_id: str
    occurred_at: datetime  # in the source system, UTC
    recorded_at: datetime  # when wooerp learned of it, UTC
    source_system: SourceSystem
    correlation_id: str

    @field_validator("occurred_at", "recorded_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("event times must carry a timezone")
        return value.astimezone(timezone.utc)


# order-to-cash -------------------------------------------------------------
class OrderCaptured(BusinessEvent):
    type: Literal["OrderCaptured"] = "OrderCaptured"
    store: str
    woo_order_id: int
    total: Money


class PaymentAuthorized(BusinessEvent):
    type: Literal["PaymentAuthorized"] = "PaymentAuthorized"
    amount: Money
    payment_method: str = ""
    transaction_id: str = ""


class OrderValidated(BusinessEvent):
    type: Literal["OrderValidated"] = "OrderValidated"
    erp_party_id: int


class OrderAccepted(BusinessEvent):
    type: Literal["OrderAccepted"] = "OrderAccepted"
    erp_document: str
    erp_total: Money


class OrderRejected(BusinessEvent):
    type: Literal["OrderRejected"] = "OrderRejected"
    reason: str


class StockReserved(BusinessEvent):
    type: Literal["StockReserved"] = "StockReserved"
    quantities: dict[str, int]  # sku -> units


class ShipmentConfirmed(BusinessEvent):
    type: Literal["ShipmentConfirmed"] = "ShipmentConfirmed"
    erp_shipment_id: int
    tracking_number: str | None = None


class InvoicePosted(BusinessEvent):
    type: Literal["InvoicePosted"] = "InvoicePosted"
    invoice_number: str
    total: Money


class OrderClosed(BusinessEvent):
    type: Literal["OrderClosed"] = "OrderClosed"


class OrderCancelled(BusinessEvent):
    type: Literal["OrderCancelled"] = "OrderCancelled"
    reason: str
    erp_sale_cancelled: bool = False


# return-to-refund ----------------------------------------------------------
class RefundRequested(BusinessEvent):
    type: Literal["RefundRequested"] = "RefundRequested"
    refund_ref: str
    amount: Money
    requested_by: str


class RefundApproved(BusinessEvent):
    type: Literal["RefundApproved"] = "RefundApproved"
    refund_ref: str
    approved_by: str


class RefundRejected(BusinessEvent):
    type: Literal["RefundRejected"] = "RefundRejected"
    refund_ref: str
    rejected_by: str
    reason: str


class RefundCompleted(BusinessEvent):
    type: Literal["RefundCompleted"] = "RefundCompleted"
    refund_ref: str
    amount: Money
    fully_refunded: bool  # the order has no refundable amount left


class CreditNotePosted(BusinessEvent):
    type: Literal["CreditNotePosted"] = "CreditNotePosted"
    refund_ref: str
    credit_note: str
    amount: Money


class ManualRefundRequired(BusinessEvent):
    """The refund is recorded in the store, but its gateway did not (cannot)
    pay it back: a person must return the money by hand."""

    type: Literal["ManualRefundRequired"] = "ManualRefundRequired"
    refund_ref: str
    amount: Money
    payment_method: str
    why: str  # the gateway is a manual one, or what it answered


class ManualRefundSent(BusinessEvent):
    """Support confirmed that the money of a by-hand refund was sent."""

    type: Literal["ManualRefundSent"] = "ManualRefundSent"
    refund_ref: str
    amount: Money
    sent_by: str
    note: str = ""


class RefundTaxVariance(BusinessEvent):
    """A refund whose tax differs from the tax the order charged on the same
    units (the merchant refunded a line without its tax, or part of it), and
    what the ERP booked for it. Deliberate, so recorded, not parked:
    `tax_kept` is the tax the store keeps on refunded goods, `booked_difference`
    the credit note's total minus the money refunded (zero when the ERP booked
    exactly what the store refunded)."""

    type: Literal["RefundTaxVariance"] = "RefundTaxVariance"
    refund_ref: str
    charged_tax: Money  # what the order charged on the refunded units
    refunded_tax: Money
    tax_kept: Money
    credit_note: str
    booked_difference: Money
    skus: list[str] = Field(default_factory=list)


class ReturnAuthorized(BusinessEvent):
    type: Literal["ReturnAuthorized"] = "ReturnAuthorized"
    rma: str
    quantities: dict[str, int]


class ReturnReceived(BusinessEvent):
    type: Literal["ReturnReceived"] = "ReturnReceived"
    rma: str
    quantities: dict[str, int]


class StockDisposed(BusinessEvent):
    type: Literal["StockDisposed"] = "StockDisposed"
    sku: str
    quantity: int
    disposition: Literal["restock", "scrap"]


class InventoryAdjusted(BusinessEvent):
    """The store's stock of one SKU set to what the ERP can sell (`quantity`).
    `occurred_at` is the ERP change that caused it, `recorded_at` when the
    store took it: their difference is the sync lag. `reason` says whether an
    ERP event or the periodic full comparison found the difference."""

    type: Literal["InventoryAdjusted"] = "InventoryAdjusted"
    sku: str
    quantity: int
    store: str = ""
    before: int | None = None  # what the store showed; None: it did not manage stock
    reason: Literal["event", "full"] = "event"


EVENT_CLASSES: tuple[type[BusinessEvent], ...] = (
    OrderCaptured, PaymentAuthorized, OrderValidated, OrderAccepted, OrderRejected,
    StockReserved, ShipmentConfirmed, InvoicePosted, OrderClosed, OrderCancelled,
    RefundRequested, RefundApproved, RefundRejected, RefundCompleted, CreditNotePosted,
    ReturnAuthorized, ReturnReceived, StockDisposed, InventoryAdjusted,
    ManualRefundRequired, ManualRefundSent, RefundTaxVariance,
)
EVENT_TYPES: dict[str, type[BusinessEvent]] = {c.__name__: c for c in EVENT_CLASSES}

AnyEvent = Annotated[Union[tuple(EVENT_CLASSES)], Field(discriminator="type")]  # type: ignore[valid-type]
