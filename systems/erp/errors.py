"""Typed ERP errors, classified once here so every caller agrees.

Each class has a stable `type` (canonical.errors.ErrorType), used as the Temporal ApplicationError
type by the activities, and `retryable`, which tells them whether a retry can
help (transport trouble, locks) or not (a business rejection).
"""
from __future__ import annotations

from canonical.errors import ErrorType


class ErpError(Exception):
    type = ErrorType.ERP
    retryable = False

    def __init__(self, message: str, *, description: str = ""):
        super().__init__(message)
        self.message = message
        self.description = description

    def __str__(self) -> str:
        return f"{self.message} - {self.description}" if self.description else self.message


class ErpRetryableError(ErpError):
    """Transport failure, timeout, HTTP 5xx/429, ConcurrencyException, database locked."""

    type = ErrorType.ERP_RETRYABLE
    retryable = True


class ErpRejectedError(ErpError):
    """The ERP refused the request (Tryton UserError); retrying the same call won't help."""

    type = ErrorType.ERP_REJECTED


class ErpUnknownSku(ErpRejectedError):
    """An order or refund names a SKU the ERP has no product for."""

    type = ErrorType.ERP_UNKNOWN_SKU

    def __init__(self, sku: str | None):
        super().__init__(f"No ERP product has the SKU {sku!r}")
        self.sku = sku


class ErpCannotCancel(ErpRejectedError):
    """Goods left the warehouse or an invoice is posted: compensate with a return instead."""

    type = ErrorType.ERP_CANNOT_CANCEL

    def __init__(self, external_ref: str, state: str, reason: str = ""):
        reason = reason or "it went too far to be undone"
        super().__init__(f"Sale {external_ref!r} ({state}) cannot be cancelled: {reason}")
        self.external_ref, self.state, self.reason = external_ref, state, reason


class ErpNotFound(ErpRejectedError):
    """No ERP document has the given external reference."""

    type = ErrorType.ERP_NOT_FOUND


class ErpWarning(ErpRejectedError):
    """Tryton asked for a confirmation (UserWarning); `name` is the warning to acknowledge."""

    type = ErrorType.ERP_WARNING

    def __init__(self, name: str, message: str, description: str = ""):
        super().__init__(message, description=description)
        self.name = name


ERROR_TYPES = (ErpRetryableError, ErpRejectedError, ErpUnknownSku, ErpCannotCancel,
               ErpNotFound, ErpWarning)
