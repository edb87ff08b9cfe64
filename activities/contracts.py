"""Activity names, task queues and payloads: the only part of activities/ that
workflows import. Pure (canonical + pydantic), so it is safe in the workflow
sandbox; the implementations next to it do the I/O.
"""
from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from canonical.entities import Order, Refund, RefundLine
from canonical.money import Money


class Queue(StrEnum):
    """One task queue per system, so each can be rate-limited and scaled alone."""

    WORKFLOWS = "orders"
    WOOCOMMERCE = "woocommerce"
    ERP = "erp"
    LEDGER = "ledger"


class Act(StrEnum):
    WOO_GET_ORDER = "woo.get_order"
    WOO_WRITE_ERP_DOCUMENT = "woo.write_erp_document"
    WOO_MARK_SHIPPED = "woo.mark_shipped"
    WOO_CANCEL_ORDER = "woo.cancel_order"
    WOO_CREATE_REFUND = "woo.create_refund"
    WOO_GET_REFUND = "woo.get_refund"
    ERP_VALIDATE_ORDER = "erp.validate_order"
    ERP_ACCEPT_ORDER = "erp.accept_order"
    ERP_GET_SALE = "erp.get_sale"
    ERP_CANCEL_SALE = "erp.cancel_sale"
    ERP_CREDIT_NOTE = "erp.credit_note"
    LEDGER_RECORD_EVENT = "ledger.record_event"
    LEDGER_MAP_ID = "ledger.map_id"


class ErrorType(StrEnum):
    """Stable ApplicationError types that sagas branch on (the systems' own names)."""

    WOO_REJECTED = "WooClientError"  # 4xx from the store: fix data, then retry
    WOO_NOT_FOUND = "WooNotFoundError"
    WOO_AUTH = "WooAuthError"
    ERP_REJECTED = "ErpRejectedError"  # business rejection in the ERP (UserError)
    ERP_UNKNOWN_SKU = "ErpUnknownSku"
    ERP_CANNOT_CANCEL = "ErpCannotCancel"  # sale too far along: compensate by return
    ERP_NOT_FOUND = "ErpNotFound"
    ERP_WARNING = "ErpWarning"
    VALIDATION_FAILED = "ValidationFailed"

    @classmethod
    def erp_rejections(cls) -> frozenset[str]:
        return frozenset({cls.ERP_REJECTED, cls.ERP_UNKNOWN_SKU, cls.ERP_WARNING})


class Payload(BaseModel):
    model_config = ConfigDict(frozen=True)


class ValidateOrderInput(Payload):
    order: Order
    total_tolerance: Money | None = None  # re-added total vs Woo's total


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


class ShipmentView(Payload):
    erp_id: int
    state: str
    tracking_number: str | None = None


class InvoiceView(Payload):
    erp_id: int
    number: str | None
    state: str
    total: Money


class ErpSaleView(Payload):
    external_ref: str
    erp_id: int
    number: str
    state: str
    total: Money
    shipments: list[ShipmentView] = Field(default_factory=list)
    invoices: list[InvoiceView] = Field(default_factory=list)

    @property
    def shipped(self) -> ShipmentView | None:
        done = [s for s in self.shipments if s.state == "done"]
        return done[0] if done and len(done) == len(self.shipments) else None

    @property
    def posted_invoice(self) -> InvoiceView | None:
        posted = [i for i in self.invoices if i.state in ("posted", "paid")]
        return posted[0] if posted else None


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


class CreditNoteView(Payload):
    refund_ref: str
    number: str
    state: str
    total: Money


class OrderRef(Payload):
    store: str
    woo_order_id: int


class RefundRef(Payload):
    store: str
    woo_order_id: int
    woo_refund_id: int


class MapIdInput(Payload):
    system: str
    entity: str
    external_id: str
    internal_id: str
