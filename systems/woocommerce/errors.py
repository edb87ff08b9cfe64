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
from urllib.parse import urlsplit

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
    """The store rejected the request; WooCommerce's own code/message/status are kept.

    `hint` is what wooerp knows about the cause and adds to the message
    (an operator reads this line, not WooCommerce's source)."""

    type: ClassVar[str] = ErrorType.WOO_REJECTED

    def __init__(self, code: str, message: str, status: int, data: Any = None,
                 hint: str = ""):
        super().__init__(f"{status} {code}: {message}" + (f" ({hint})" if hint else ""))
        self.code = code
        self.message = message
        self.status = status
        self.data = data
        self.hint = hint

    def details(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "status": self.status}


class WooNotFoundError(WooClientError):
    type: ClassVar[str] = ErrorType.WOO_NOT_FOUND


class WooAuthError(WooClientError):
    """401/403: wrong keys, clock skew beyond 15 min, a read-only key, or an
    OAuth signature made for another URL than the site's own."""

    type: ClassVar[str] = ErrorType.WOO_AUTH


class WooRefundRefused(WooClientError):
    """`POST orders/<id>/refunds` refused for good (HTTP 500 with the refund
    controller's code): "Invalid refund amount.", or the gateway's own failure.
    A business verdict: retrying it cannot help and must not move money twice."""

    type: ClassVar[str] = ErrorType.WOO_REFUND_REFUSED


class WooGatewayRefusedRefund(WooRefundRefused):
    """The order's payment gateway cannot refund automatically (bank transfer,
    cheque, cash on delivery), or its plugin is not installed. Nothing was
    saved: the same refund can be recorded with api_refund=false and the
    money returned by hand."""

    type: ClassVar[str] = ErrorType.WOO_GATEWAY_REFUSED


REFUND_REFUSED = "woocommerce_rest_cannot_create_order_refund"
# wc_refund_payment()'s messages when the gateway cannot refund at all (English:
# a store in another language says it in its own words, hence the gateway list
# of the refund policy, which avoids the attempt altogether).
GATEWAY_REFUSALS = ("The payment gateway for this order does not support automatic refunds.",
                    "The payment gateway for this order does not exist.")
AUTHENTICATION_ERROR = "woocommerce_rest_authentication_error"
# The one 401 that says nothing about the keys: the request is signed afresh,
# with a new nonce, on the next attempt.
NONCE_REUSED = "Invalid nonce - nonce has already been used."


def _gateway_refusal(message: str) -> bool:
    return message.strip() in GATEWAY_REFUSALS


def signed_url_hint(site: str) -> str:
    """Why a right key fails over http: WordPress checks the OAuth 1.0a
    signature against its own site URL (home_url), not the address the
    request came to, so http://localhost:P and http://127.0.0.1:P differ."""
    return (f"the request was OAuth-signed for {site}; WooCommerce verifies the signature "
            "against the site URL (WordPress Settings > General > Site Address), so "
            "http://localhost:PORT and http://127.0.0.1:PORT are different sites to it: "
            "if the keys are right, set the store's url to exactly the site URL")


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
    if (status == 429 or (status >= 500 and not _is_woo_rejection(code))
            or (status == 401 and message == NONCE_REUSED)):
        raise WooRetryableError(f"HTTP {status}: {message or resp.reason}", status,
                                parse_retry_after(resp.headers.get("Retry-After")))
    cls = WooAuthError if status in (401, 403) else WooNotFoundError if status == 404 else WooClientError
    if status >= 500 and isinstance(data, int) and data == 404:
        cls = WooNotFoundError  # refund controller: "Invalid order ID." with data 404
    if code == REFUND_REFUSED and status >= 500:
        cls = WooGatewayRefusedRefund if _gateway_refusal(message) else WooRefundRefused
    hint = ""
    site = _site(resp)
    if code == AUTHENTICATION_ERROR and site.startswith("http://"):
        hint = signed_url_hint(site)  # over https the key goes as Basic auth, unsigned
    raise cls(code or f"http_{status}", message, status, data, hint=hint)


def _site(resp: requests.Response) -> str:
    """scheme://host[:port] of the request, without its path or query (which
    carries the oauth_* parameters or the keys themselves)."""
    url = urlsplit(getattr(resp, "url", "") or "")
    return f"{url.scheme}://{url.netloc}" if url.scheme and url.netloc else ""


def _is_woo_rejection(code: str | None) -> bool:
    # The refund controller answers business rejections ("Invalid refund amount.",
    # gateway refusals) with HTTP 500 and a woocommerce_rest_* code. They fail the
    # same way again, and retrying a money movement blindly is unsafe.
    return bool(code and code.startswith("woocommerce_rest_"))


def from_transport(exc: requests.RequestException) -> WooRetryableError:
    # the URL's query string carries oauth_* or even consumer_secret: never log it
    text = re.sub(r"\?[^\s'\")]*", "?<redacted>", str(exc))
    return WooRetryableError(f"{type(exc).__name__}: {text}")
