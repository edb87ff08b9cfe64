"""The stable names of failures that sagas branch on.

The systems raise typed errors whose `type` is one of these names; the
activities pass it on as the Temporal ApplicationError type; the sagas and
their retry policies read it back. Defined here once, below all of them, so
a rename cannot silently break a branch, a retry policy or a gauge.
"""
from __future__ import annotations

from enum import StrEnum


class ErrorType(StrEnum):
    # WooCommerce
    WOO = "WooError"
    WOO_RETRYABLE = "WooRetryableError"
    WOO_REJECTED = "WooClientError"  # 4xx from the store: fix data, then retry
    WOO_NOT_FOUND = "WooNotFoundError"
    WOO_AUTH = "WooAuthError"
    WOO_UNEXPECTED = "WooUnexpectedResponse"  # not the JSON the API promises
    WOO_REFUND_NOT_FOUND = "WooRefundNotFound"
    WOO_REFUND_REFUSED = "WooRefundRefused"  # the refund controller's HTTP 500 verdict
    WOO_GATEWAY_REFUSED = "WooGatewayRefusedRefund"  # the gateway cannot refund by itself
    UNKNOWN_STORE = "UnknownStore"  # no such store configured on this worker
    # ERP
    ERP = "ErpError"
    ERP_RETRYABLE = "ErpRetryableError"
    ERP_REJECTED = "ErpRejectedError"  # business rejection in the ERP (UserError)
    ERP_UNKNOWN_SKU = "ErpUnknownSku"
    ERP_CANNOT_CANCEL = "ErpCannotCancel"  # sale too far along: compensate by return
    ERP_NOT_FOUND = "ErpNotFound"
    ERP_WARNING = "ErpWarning"
    # raised by the sagas themselves
    VALIDATION_FAILED = "ValidationFailed"

    @classmethod
    def retryable(cls) -> frozenset[ErrorType]:
        """Transport trouble, overload, locks: worth another attempt."""
        return frozenset({cls.WOO_RETRYABLE, cls.WOO_UNEXPECTED, cls.ERP_RETRYABLE})

    @classmethod
    def non_retryable(cls) -> list[str]:
        """Every verdict a retry cannot change, for the activities' retry policies."""
        return [t.value for t in cls if t not in cls.retryable()]

    @classmethod
    def erp_rejections(cls) -> frozenset[ErrorType]:
        return frozenset({cls.ERP_REJECTED, cls.ERP_UNKNOWN_SKU, cls.ERP_WARNING})
