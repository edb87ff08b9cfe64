"""The order status model: one status per order, advanced only by events.

`captured` is provisional commerce demand, `accepted` is booked in the ERP,
`invoiced` is revenue. Reports rely on telling these apart, so a transition
that skips or reverses a stage is refused rather than guessed.
"""
from __future__ import annotations

from enum import StrEnum


class OrderStatus(StrEnum):
    CAPTURED = "captured"
    ACCEPTED = "accepted"
    FULFILLED = "fulfilled"
    INVOICED = "invoiced"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    NEEDS_ATTENTION = "needs_attention"


class IllegalTransition(ValueError):
    """An event arrived that the order's current status does not allow."""


S = OrderStatus
_BOOKED = (S.ACCEPTED, S.FULFILLED, S.INVOICED, S.CLOSED, S.PARTIALLY_REFUNDED)

# event type -> {from status (None = no order yet): to status}
_TRANSITIONS: dict[str, dict[OrderStatus | None, OrderStatus]] = {
    "OrderCaptured": {None: S.CAPTURED},
    "PaymentAuthorized": {S.CAPTURED: S.CAPTURED, S.NEEDS_ATTENTION: S.NEEDS_ATTENTION},
    "OrderValidated": {S.CAPTURED: S.CAPTURED, S.NEEDS_ATTENTION: S.CAPTURED},
    "OrderRejected": {S.CAPTURED: S.NEEDS_ATTENTION, S.NEEDS_ATTENTION: S.NEEDS_ATTENTION},
    "OrderAccepted": {S.CAPTURED: S.ACCEPTED, S.NEEDS_ATTENTION: S.ACCEPTED},
    "StockReserved": {S.ACCEPTED: S.ACCEPTED},
    # A refund may come before the parcel leaves or the invoice is posted (a
    # line refunded before shipping; a backfilled order, whose refunds start
    # once its sale is booked): the order stays partially refunded meanwhile.
    "ShipmentConfirmed": {S.ACCEPTED: S.FULFILLED, S.PARTIALLY_REFUNDED: S.PARTIALLY_REFUNDED},
    "InvoicePosted": {S.FULFILLED: S.INVOICED, S.PARTIALLY_REFUNDED: S.PARTIALLY_REFUNDED},
    "OrderClosed": {S.INVOICED: S.CLOSED, S.PARTIALLY_REFUNDED: S.PARTIALLY_REFUNDED},
    "OrderCancelled": {s: S.CANCELLED for s in (S.CAPTURED, S.ACCEPTED, S.NEEDS_ATTENTION)},
}
# Events of other sagas (refunds, returns, stock) that leave the order status alone.
_NEUTRAL = {
    "RefundRequested", "RefundApproved", "RefundRejected", "CreditNotePosted",
    "ReturnAuthorized", "ReturnReceived", "StockDisposed", "InventoryAdjusted",
    "ManualRefundRequired", "ManualRefundSent", "RefundTaxVariance",
}


def advance(status: OrderStatus | None, event_type: str, *, fully_refunded: bool = False
            ) -> OrderStatus:
    """The status after `event_type`, or IllegalTransition naming both."""
    if event_type in _NEUTRAL and status is not None:
        return status
    if event_type == "RefundCompleted":
        if status in _BOOKED:
            return S.REFUNDED if fully_refunded else S.PARTIALLY_REFUNDED
        table: dict[OrderStatus | None, OrderStatus] = {}
    else:
        try:
            table = _TRANSITIONS[event_type]
        except KeyError:
            raise IllegalTransition(f"unknown event type {event_type!r}") from None
    if status not in table:
        current = "no order yet" if status is None else f"an order in status {status.value!r}"
        raise IllegalTransition(f"cannot apply {event_type} to {current}")
    return table[status]
