"""Masks secrets and personal data before anything is written to a log.

Two nets, because either alone leaks:

- by key: any value under a sensitive key (`consumer_secret`, `password`,
  `email`, `address_1`, ...) is replaced, however deeply it is nested;
- by value: strings are scrubbed of things that look secret wherever they
  appear (WooCommerce `ck_`/`cs_` keys, `Bearer` tokens, credentials in URL
  query strings, e-mail addresses), which catches exception messages and
  free-text events.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, SecretBytes, SecretStr

MASK = "***"

# Keys are normalised (lower case, '-' -> '_') and matched exactly ...
_SENSITIVE_KEYS = frozenset(
    {
        "consumer_key", "consumer_secret", "password", "passwd", "token", "secret",
        "authorization", "proxy_authorization", "signature", "x_wc_webhook_signature",
        "cookie", "set_cookie", "api_key", "apikey", "email", "phone",
        "address_1", "address_2", "first_name", "last_name", "postcode",
        "customer_ip_address", "customer_note",
    }
)
# ... or by the fragments below, so `webhook_secret`, `billing_email`,
# `api_token`, `password_file` are covered without listing each one.
_SENSITIVE_FRAGMENTS = ("secret", "password", "token", "authorization", "signature",
                        "api_key", "email", "phone", "cookie")

_VALUE_PATTERNS = [
    # WooCommerce REST credentials.
    (re.compile(r"\b(ck|cs)_[0-9a-fA-F]{16,64}\b"), r"\1_" + MASK),
    # HTTP auth headers that ended up in a message.
    (re.compile(r"\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{6,}", re.IGNORECASE), r"\1 " + MASK),
    # Credentials in query strings (the woocommerce client sends them there over http).
    (re.compile(r"(?i)\b(consumer_key|consumer_secret|oauth_signature|password|token|api_key)=[^&\s'\"]+"),
     r"\1=" + MASK),
    # user:password@ in URLs (database and ERP URLs).
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^:/@\s]+):[^@\s/]+@"), r"\1:" + MASK + "@"),
    # E-mail addresses anywhere in text.
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), MASK + "@" + MASK),
]


def is_sensitive_key(key: object) -> bool:
    if not isinstance(key, str):
        return False
    k = key.lower().replace("-", "_")
    return k in _SENSITIVE_KEYS or any(f in k for f in _SENSITIVE_FRAGMENTS)


def scrub_text(text: str) -> str:
    for pattern, replacement in _VALUE_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _worth_masking(value: Any) -> bool:
    # Flags such as `signature_valid: False` carry no secret and help debugging.
    return value not in (None, "") and not isinstance(value, bool)


def _is_sensitive_pair(value: Mapping[Any, Any]) -> bool:
    # WooCommerce meta_data and HTTP header lists: {"key": "password", "value": "..."}.
    name = value.get("key", value.get("name"))
    return "value" in value and is_sensitive_key(name) and _worth_masking(value["value"])


def redact(value: Any, _depth: int = 0) -> Any:
    """A copy of `value` with sensitive keys masked and strings scrubbed."""
    if _depth > 20:  # pathological nesting: give up rather than log it raw
        return MASK
    if isinstance(value, (SecretStr, SecretBytes)):
        return MASK
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    if isinstance(value, Mapping):
        if _is_sensitive_pair(value):
            return {**redact(dict(value, value=None), _depth + 1), "value": MASK}
        return {
            k: (MASK if is_sensitive_key(k) and _worth_masking(v) else redact(v, _depth + 1))
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple, set, frozenset)):
        return [redact(v, _depth + 1) for v in value]
    if isinstance(value, (bytes, bytearray)):
        # Raw bodies belong in the ledger inbox, not in logs.
        return f"<{len(value)} bytes>"
    return value


def redact_processor(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: run last before rendering."""
    return redact(event_dict)
