"""Typed WooCommerce errors, classified once so activities need not guess.

`type` is a stable name (canonical.errors.ErrorType) to use as a Temporal ApplicationError type:
retryable errors are worth another attempt (after `retry_after` seconds when
the store said so); client errors will fail the same way every time.
"""
from __future__ import annotations

import email.utils
import re
import time
from typing import Any, ClassVar

import requests

from canonical.errors import ErrorType


class WooError(Exception):
    type: ClassVar[str] = ErrorType.WOO
    retryable: ClassVar[bool] = False


class WooRetryableError(WooError):
    """Timeouts, connection errors, 5xx from the host, 429."""

    type: ClassVar[str] = ErrorType.WOO_RETRYABLE
    retryable: ClassVar[bool] = True

    def __init__(self, message: str, status: int | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after


class WooClientError(WooError):
    """The store rejected the request; WooCommerce's own code/message/status are kept."""

    type: ClassVar[str] = ErrorType.WOO_REJECTED

    def __init__(self, code: str, message: str, status: int, data: Any = None):
        super().__init__(f"{status} {code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.data = data

    def details(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "status": self.status}


class WooNotFoundError(WooClientError):
    type: ClassVar[str] = ErrorType.WOO_NOT_FOUND


class WooAuthError(WooClientError):
    """401/403: wrong keys, clock skew beyond 15 min, or a read-only key."""

    type: ClassVar[str] = ErrorType.WOO_AUTH


class WooUnexpectedResponse(WooRetryableError):
    """A 2xx whose body is not the JSON WooCommerce sends (a proxy page, a cut-off body)."""

    type: ClassVar[str] = ErrorType.WOO_UNEXPECTED


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After is delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _json(resp: requests.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return None


def raise_for_response(resp: requests.Response) -> None:
    """Turn a non-2xx response into the right typed exception."""
    status = resp.status_code
    if 200 <= status < 300:
        return
    body = _json(resp)
    code = body.get("code") if isinstance(body, dict) else None
    message = body.get("message", "") if isinstance(body, dict) else resp.text[:200]
    data = body.get("data") if isinstance(body, dict) else None
    if status == 429 or (status >= 500 and not _is_woo_rejection(code)):
        raise WooRetryableError(f"HTTP {status}: {message or resp.reason}", status,
                                parse_retry_after(resp.headers.get("Retry-After")))
    cls = WooAuthError if status in (401, 403) else WooNotFoundError if status == 404 else WooClientError
    if status >= 500 and isinstance(data, int) and data == 404:
        cls = WooNotFoundError  # refund controller: "Invalid order ID." with data 404
    raise cls(code or f"http_{status}", message, status, data)


def _is_woo_rejection(code: str | None) -> bool:
    # The refund controller answers business rejections ("Invalid refund amount.",
    # gateway refusals) with HTTP 500 and a woocommerce_rest_* code. They fail the
    # same way again, and retrying a money movement blindly is unsafe.
    return bool(code and code.startswith("woocommerce_rest_"))


def from_transport(exc: requests.RequestException) -> WooRetryableError:
    # the URL's query string carries oauth_* or even consumer_secret: never log it
    text = re.sub(r"\?[^\s'\")]*", "?<redacted>", str(exc))
    return WooRetryableError(f"{type(exc).__name__}: {text}")
