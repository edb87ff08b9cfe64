"""systems.woocommerce.webhooks: signature, ping and header parsing (CONTRACT.md 7.2-7.3)."""
from __future__ import annotations

import pytest

from systems.woocommerce.webhooks import (WebhookSignatureError, expected_signature, is_ping,
                                          parse_headers, ping_webhook_id, verify, verify_signature)

BODY = b'{"id":15,"status":"processing","payment_url":"http:\\/\\/x.test\\/checkout\\/"}'
SIGNATURE = "/ainMEsuGE59yDA5JQIh0G6Yh4+1/FmWtAnqEXpANS0="
HEADERS = {"X-WC-Webhook-Topic": "order.updated", "X-WC-Webhook-Resource": "order",
           "X-WC-Webhook-Event": "updated", "X-WC-Webhook-ID": "3",
           "X-WC-Webhook-Delivery-ID": "0123456789abcdef0123456789abcdef",
           "X-WC-Webhook-Source": "https://shop.example/", "X-WC-Webhook-Signature": SIGNATURE}


def test_contract_test_vector():
    assert expected_signature(BODY, "whsec-test-secret") == SIGNATURE
    assert verify_signature(BODY, SIGNATURE, "whsec-test-secret")


def test_any_change_to_the_bytes_or_secret_fails():
    reencoded = BODY.replace(b"\\/", b"/")  # what re-serialising the JSON would do
    assert not verify_signature(reencoded, SIGNATURE, "whsec-test-secret")
    assert not verify_signature(BODY, SIGNATURE, "another-secret")
    assert not verify_signature(BODY, None, "whsec-test-secret")
    assert not verify_signature(BODY, "", "whsec-test-secret")


def test_html_entities_in_the_secret_are_decoded_first():
    assert expected_signature(BODY, "a&amp;b") == expected_signature(BODY, "a&b")


def test_verify_parses_headers_case_insensitively():
    lowered = {k.lower(): v for k, v in HEADERS.items()}
    meta = verify(BODY, lowered, "whsec-test-secret")
    assert (meta.topic, meta.resource, meta.event, meta.webhook_id) == ("order.updated", "order", "updated", 3)
    assert meta.source == "https://shop.example/" and meta.delivery_id.startswith("0123")
    with pytest.raises(WebhookSignatureError):
        verify(BODY + b" ", HEADERS, "whsec-test-secret")
    with pytest.raises(WebhookSignatureError):
        verify(BODY, {"X-WC-Webhook-Signature": SIGNATURE}, "whsec-test-secret")


def test_ping_is_recognised_only_without_webhook_headers():
    assert is_ping(b"webhook_id=12") and ping_webhook_id(b"webhook_id=12", {}) == 12
    assert ping_webhook_id(b"webhook_id=12", {"X-WC-Webhook-Topic": "order.created"}) is None
    assert not is_ping(BODY) and not is_ping(b"webhook_id=abc")
    assert parse_headers({}).topic == "" and parse_headers({}).webhook_id is None


@pytest.mark.parametrize("raw", ["²", "1" * 5000, "-3", "0", "12a", " 7"])
def test_a_webhook_id_header_that_is_not_one_is_ignored_not_raised(raw):
    assert parse_headers({"X-WC-Webhook-ID": raw, "X-WC-Webhook-Topic": "order.created"}
                         ).webhook_id is None
    assert parse_headers({"X-WC-Webhook-ID": "42"}).webhook_id == 42
