"""Verifying and reading WooCommerce webhook deliveries (CONTRACT.md 7.2-7.3).

WooCommerce signs `base64(HMAC-SHA256(raw body, secret))` and sends it in
X-WC-Webhook-Signature. Verify over the exact bytes received (the body is
PHP's json_encode output, slashes escaped): re-serialising breaks it. The
ping sent when a webhook is created is an unsigned form body `webhook_id=N`
with no X-WC-Webhook-* headers; receivers must answer it 200.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import html
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Mapping

PING_BODY = re.compile(rb"^webhook_id=(\d+)$")


class Topic(StrEnum):
    """The store webhooks wooerp subscribes to (`wooerp webhooks install`)."""

    ORDER_CREATED = "order.created"
    ORDER_UPDATED = "order.updated"
    ORDER_DELETED = "order.deleted"  # moved to the trash; the body is only {"id": N}
    ORDER_RESTORED = "order.restored"  # taken out of the trash


ORDER_TOPICS: tuple[Topic, ...] = tuple(Topic)


class WebhookSignatureError(Exception):
    type = "WooWebhookSignatureError"


@dataclass(frozen=True)
class WebhookHeaders:
    topic: str  # "order.updated"
    resource: str  # "order"
    event: str  # "updated"
    webhook_id: int | None
    delivery_id: str | None  # NOT unique per delivery: do not dedupe on it
    source: str | None  # the store's home URL with a trailing slash
    signature: str | None


def expected_signature(body: bytes, secret: str) -> str:
    # WooCommerce decodes HTML entities in the stored secret before signing
    key = html.unescape(secret).encode()
    return base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()


def verify_signature(body: bytes, signature: str | None, secret: str) -> bool:
    if not signature:
        return False
    return hmac.compare_digest(expected_signature(body, secret).encode(), signature.strip().encode())


def is_ping(body: bytes) -> bool:
    """True for the unsigned creation ping (`webhook_id=N`, form-encoded)."""
    return PING_BODY.match(body.strip()) is not None


def ping_webhook_id(body: bytes, headers: Mapping[str, str]) -> int | None:
    """The webhook id if this is the creation ping, else None."""
    if _header(headers, "X-WC-Webhook-Topic"):
        return None
    match = PING_BODY.match(body.strip())
    return int(match.group(1)) if match else None


def parse_headers(headers: Mapping[str, str]) -> WebhookHeaders:
    topic = _header(headers, "X-WC-Webhook-Topic") or ""
    resource, _, event = topic.partition(".")
    raw_id = _header(headers, "X-WC-Webhook-ID")
    return WebhookHeaders(
        topic=topic,
        resource=_header(headers, "X-WC-Webhook-Resource") or resource,
        event=_header(headers, "X-WC-Webhook-Event") or event,
        webhook_id=_webhook_id(raw_id),
        delivery_id=_header(headers, "X-WC-Webhook-Delivery-ID"),
        source=_header(headers, "X-WC-Webhook-Source"),
        signature=_header(headers, "X-WC-Webhook-Signature"),
    )


MAX_WEBHOOK_ID = 2**53 - 1  # WordPress post ids; anything else is not a webhook id


def _webhook_id(raw: str | None) -> int | None:
    """The header's webhook id, or None for anything that is not one: unsigned
    headers are anyone's, and `"²".isdigit()` or 5,000 digits must not raise."""
    if not raw or len(raw) > 16 or not (raw.isascii() and raw.isdigit()):
        return None
    value = int(raw)
    return value if 0 < value <= MAX_WEBHOOK_ID else None


def verify(body: bytes, headers: Mapping[str, str], secret: str) -> WebhookHeaders:
    """Parse and verify a signed delivery; raises WebhookSignatureError if it does not verify."""
    delivery = parse_headers(headers)
    if not delivery.topic:
        raise WebhookSignatureError("missing X-WC-Webhook-Topic")
    if not verify_signature(body, delivery.signature, secret):
        raise WebhookSignatureError("X-WC-Webhook-Signature does not match the body")
    return delivery


WebhookDelivery = WebhookHeaders  # older name


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        value = headers.get(name.lower())
    if value is None:  # a plain dict with other casing
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    return value
