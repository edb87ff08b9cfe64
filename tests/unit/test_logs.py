"""Nothing sensitive reaches the log output, whichever logger writes it."""
from __future__ import annotations

import io
import json
import logging

import pytest
from pydantic import SecretStr

from workers.config.logs import configure_logging, get_logger, log_context

CK = "ck_" + "a1" * 20
CS = "cs_" + "b2" * 20
SECRETS = [CK, CS, "hunter2-password", "tok-3141592653", "whsec-test-secret",
           "jane.doe@example.com", "+1 555 0100", "1 Infinite Loop", "Apartment 9",
           "sig/ainMEsuGE59yDA5JQIh0G6Yh4", "Bearer-token-value-xyz"]


@pytest.fixture
def output():
    stream = io.StringIO()
    configure_logging("DEBUG", "json", stream=stream)
    yield stream
    configure_logging("INFO", "auto")


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_secrets_and_pii_never_reach_the_output(output):
    log = get_logger("test")
    order = {
        "id": 42,
        "billing": {"first_name": "Jane", "email": "jane.doe@example.com", "phone": "+1 555 0100",
                    "address_1": "1 Infinite Loop", "address_2": "Apartment 9", "city": "Cupertino"},
        "line_items": [{"sku": "MUG-1", "meta": [{"key": "password", "value": "hunter2-password"}]}],
    }
    with log_context(workflow_id="order:default:42", store="default", woo_order_id=42, delivery_id="d1"):
        log.info("order received", order=order, consumer_key=CK, consumer_secret=SecretStr(CS),
                 headers={"X-WC-Webhook-Signature": "sig/ainMEsuGE59yDA5JQIh0G6Yh4",
                          "Authorization": "Bearer Bearer-token-value-xyz"},
                 url=f"http://shop/wp-json/wc/v3/orders?consumer_key={CK}&consumer_secret={CS}",
                 nested=[{"webhook_secret": "whsec-test-secret"}, ("api_token", {"token": "tok-3141592653"})])
        log.warning("customer jane.doe@example.com called with key %s", CK)
        try:
            raise RuntimeError(f"login failed for jane.doe@example.com using {CS}")
        except RuntimeError:
            log.exception("erp call failed")
        # Standard-library loggers (temporalio, httpx) go through the same redaction.
        logging.getLogger("temporalio.activity").info(
            "activity says Authorization: Bearer Bearer-token-value-xyz",
            extra={"temporal_activity": {"workflow_id": "order:default:42", "activity_type": "x"},
                   "password": "hunter2-password"})
    text = output.getvalue()
    for secret in SECRETS:
        assert secret not in text, secret
    records = lines(output)
    assert len(records) == 4
    # Context and harmless data survive, so the logs stay useful.
    first = records[0]
    assert (first["workflow_id"], first["store"], first["woo_order_id"], first["delivery_id"]) == (
        "order:default:42", "default", 42, "d1")
    assert first["order"]["billing"]["city"] == "Cupertino"
    assert first["order"]["line_items"][0]["sku"] == "MUG-1"
    assert records[2]["exception"].startswith("Traceback")
    assert records[3]["workflow_id"] == "order:default:42"
    assert records[3]["logger"] == "temporalio.activity"


def test_level_filters_and_console_format_also_redacts():
    stream = io.StringIO()
    configure_logging("WARNING", "console", stream=stream)
    try:
        log = get_logger("test")
        log.info("hidden", consumer_secret=CS)
        log.warning("shown", consumer_secret=CS, email="jane.doe@example.com")
    finally:
        configure_logging("INFO", "auto")
    text = stream.getvalue()
    assert "hidden" not in text and "shown" in text
    assert CS not in text and "jane.doe@example.com" not in text
