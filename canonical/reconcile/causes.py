"""Why commerce and the ERP differ: a closed list, each with its meaning.

Every difference the reconciliation finds between the store and the ERP for
a business day is attributed to exactly one cause, with evidence (the Woo
order id, the ERP document, the saga's workflow id and its stage or reason).
What fits no cause is UNEXPLAINED, and a clean day has unexplained = 0.00:
an unexplained amount is a bug somewhere, never a bucket to live with.
"""
from __future__ import annotations

from enum import StrEnum


class Cause(StrEnum):
    # The saga is still carrying the order to the ERP (starting, validating,
    # awaiting_erp, ...): evidence names the stage and how long it has been there.
    IN_FLIGHT = "in_flight"
    # The saga is parked in needs_attention: evidence is its StuckReason.
    PARKED = "parked"
    # Provisional demand: the order waits for its payment (pending, on-hold),
    # so nothing is booked yet, by design.
    NOT_PAID_YET = "not_paid_yet"
    # Cancelled on one side, and the saga is still calling it off on the other.
    CANCELLED = "cancelled"
    # Money went back in the store and the credit note is not booked yet (or
    # the reverse), with the refund saga's stage.
    REFUND_IN_FLIGHT = "refund_in_flight"
    # The ERP rounds taxes and prices its own way: a difference of at most one
    # minor unit per line of the component, stated with its bound.
    ROUNDING = "rounding"
    # No saga existed for the order (its webhooks were lost): this run started
    # one, so the order heals itself; the difference is what it will book.
    RECOVERED = "recovered"
    # The ERP has the sale, the store no longer has the order (permanently
    # deleted: WooCommerce sends no webhook for that).
    DELETED_IN_STORE = "deleted_in_store"
    # The store order changed after the ERP accepted it (no webhook, or one the
    # saga could no longer act on): the ERP still has what it accepted.
    EDITED_IN_STORE = "edited_in_store"
    # The ERP sale is not what the ERP confirmed at acceptance (the ledger
    # keeps that total): someone changed, cancelled or deleted it in the ERP.
    EDITED_IN_ERP = "edited_in_erp"
    # A sale with a wooerp reference whose store order never existed for us
    # (no order in the store, no saga, nothing in the ledger).
    ERP_WITHOUT_STORE_ORDER = "erp_without_store_order"
    # None of the above: a bug to investigate.
    UNEXPLAINED = "unexplained"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Cause.IN_FLIGHT: "in flight",
    Cause.PARKED: "parked",
    Cause.NOT_PAID_YET: "not paid yet",
    Cause.CANCELLED: "cancelled",
    Cause.REFUND_IN_FLIGHT: "refund in flight",
    Cause.ROUNDING: "rounding",
    Cause.RECOVERED: "recovered",
    Cause.DELETED_IN_STORE: "deleted in the store",
    Cause.EDITED_IN_STORE: "edited in the store after ERP acceptance",
    Cause.EDITED_IN_ERP: "edited in the ERP",
    Cause.ERP_WITHOUT_STORE_ORDER: "ERP document without a store order",
    Cause.UNEXPLAINED: "unexplained",
}


class Component(StrEnum):
    """What part of an order a variance is about. `order` is a whole order
    present on one side only; the others compare an order both sides have.
    Coupon discounts are inside `items` on both sides (lines are net of them)."""

    ORDER = "order"
    ITEMS = "items"
    SHIPPING = "shipping"
    FEES = "fees"
    TAX = "tax"
    ADJUSTMENT = "adjustment"  # a total that does not re-add from its parts
    REFUNDS = "refunds"  # refunded in the store vs credited in the ERP
