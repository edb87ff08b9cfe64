"""Every stage a saga can be in: the `SagaStage` search attribute, the
`stage` of every status query, and what gauges and `wooerp orders stuck`
filter on. One enum for all sagas, so a rename is one edit."""
from __future__ import annotations

from enum import StrEnum

from canonical.status import OrderStatus


class Stage(StrEnum):
    # every saga; three share their word with the order's status
    STARTING = "starting"
    NEEDS_ATTENTION = OrderStatus.NEEDS_ATTENTION.value  # parked: StuckReason says why
    CLOSED = OrderStatus.CLOSED.value
    CANCELLED = OrderStatus.CANCELLED.value
    RESOLVED = "resolved"  # ended by a person outside wooerp
    REJECTED = "rejected"
    # OrderSaga, in order
    AWAITING_PAYMENT = "awaiting_payment"
    VALIDATING = "validating"
    AWAITING_ERP = "awaiting_erp"  # paid, not yet accepted by the ERP
    WRITING_BACK = "writing_back"
    AWAITING_SHIPMENT = "awaiting_shipment"  # booked in the ERP, not shipped
    UPDATING_STORE = "updating_store"
    AWAITING_INVOICE = "awaiting_invoice"  # shipped, no posted invoice yet
    CANCELLING = "cancelling"
    # RefundSaga, in order
    CHECKING = "checking"
    AWAITING_APPROVAL = "awaiting_approval"
    MOVING_MONEY = "moving_money"
    POSTING_CREDIT_NOTE = "posting_credit_note"  # money back in the store, not yet in the books
    # booked and recorded in the store, but the gateway cannot pay it back:
    # support returns the money by hand and confirms (`wooerp refund money-sent`)
    AWAITING_MANUAL_REFUND = "awaiting_manual_refund"
    COMPLETED = "completed"
    # ReturnSaga, in order
    AWAITING_RECEIPT = "awaiting_receipt"
    REFUNDING = "refunding"
