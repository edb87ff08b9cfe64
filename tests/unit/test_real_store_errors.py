"""What a real store answers, classified once (systems/woocommerce/errors.py):
a refund its gateway cannot make is a non-retryable verdict by its code, and
an OAuth 401 says the signature is checked against the site URL."""
from __future__ import annotations

import json

import pytest
import requests

from activities.errors import to_application_error
from canonical.errors import ErrorType
from systems.woocommerce.errors import (WooAuthError, WooGatewayRefusedRefund, WooRefundRefused,
                                        WooRetryableError,
                                        raise_for_response)
from workflows.options import retry

SIGNED = ("http://127.0.0.1:8081/wp-json/wc/v3/orders?oauth_consumer_key=ck_live"
          "&oauth_signature=c2VjcmV0&oauth_nonce=n")


def response(status: int, body: dict, url: str = "http://127.0.0.1:8081/wp-json/wc/v3/x"
             ) -> requests.Response:
    resp = requests.Response()
    resp.status_code, resp._content, resp.url = status, json.dumps(body).encode(), url
    return resp


def refused(message: str) -> requests.Response:
    return response(500, {"code": "woocommerce_rest_cannot_create_order_refund",
                          "message": message, "data": 500})


@pytest.mark.parametrize("message", [
    "The payment gateway for this order does not support automatic refunds.",
    "The payment gateway for this order does not exist."])
def test_a_gateway_that_cannot_refund_is_a_verdict_never_retried(message):
    with pytest.raises(WooGatewayRefusedRefund) as err:
        raise_for_response(refused(message))
    assert err.value.type == ErrorType.WOO_GATEWAY_REFUSED and not err.value.retryable
    app = to_application_error(err.value)
    assert app.non_retryable and app.type == "WooGatewayRefusedRefund"
    assert app.type in retry(8).non_retryable_error_types


def test_other_refund_refusals_are_verdicts_too_but_not_the_gateways():
    with pytest.raises(WooRefundRefused) as err:
        raise_for_response(refused("Invalid refund amount."))
    assert not isinstance(err.value, WooGatewayRefusedRefund) and not err.value.retryable
    assert err.value.type in retry(8).non_retryable_error_types


def test_an_oauth_401_says_the_signature_is_checked_against_the_site_url():
    with pytest.raises(WooAuthError) as err:
        raise_for_response(response(401, {
            "code": "woocommerce_rest_authentication_error",
            "message": "Invalid signature - provided signature does not match.",
            "data": {"status": 401}}, url=SIGNED))
    text = str(err.value)
    assert "Invalid signature" in text
    assert "signed for http://127.0.0.1:8081" in text and "site URL" in text
    assert "http://localhost:PORT and http://127.0.0.1:PORT" in text
    assert "oauth_signature" not in text and "ck_live" not in text  # nothing of the query


def test_over_https_the_key_is_not_signed_so_no_url_hint():
    with pytest.raises(WooAuthError) as err:
        raise_for_response(response(401, {
            "code": "woocommerce_rest_authentication_error",
            "message": "Consumer secret is invalid.", "data": {"status": 401}},
            url="https://shop.example/wp-json/wc/v3/orders"))
    assert "site URL" not in str(err.value)


def test_a_reused_nonce_is_retried_with_a_new_signature_not_taken_for_wrong_keys():
    with pytest.raises(WooRetryableError) as err:
        raise_for_response(response(401, {
            "code": "woocommerce_rest_authentication_error",
            "message": "Invalid nonce - nonce has already been used.",
            "data": {"status": 401}}, url=SIGNED))
    assert not isinstance(err.value, WooAuthError) and err.value.retryable
    assert not to_application_error(err.value).non_retryable
