"""Rules real stores impose, and the refund policy a store gets."""
from __future__ import annotations

import pytest

from systems.woocommerce.webhook_setup import delivery_refusal
from workers.config.settings import load_settings
from workers.sagas.policies import refund_policy

SITE = "http://127.0.0.1:8081"


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/webhooks/woocommerce/default",  # 8080: always allowed
    "https://hooks.example/webhooks/woocommerce/default",  # default port
    "http://127.0.0.1:8081/webhooks/woocommerce/default",  # the site's own host and port
    "http://203.0.113.7:443/webhooks/woocommerce/default",
])
def test_urls_wordpress_delivers_to(url):
    assert delivery_refusal(url, SITE) is None


def test_a_port_wordpress_does_not_deliver_to_unless_the_site_allows_it():
    url = "http://127.0.0.1:9000/webhooks/woocommerce/default"
    assert "port 9000" in delivery_refusal(url, SITE)
    assert delivery_refusal(url, SITE, allowed_ports=[80, 443, 8080, 9000]) is None
    # the site's own port counts only on the site's own host
    assert "port 8081" in delivery_refusal("http://203.0.113.7:8081/hook", SITE)


def test_a_private_address_on_another_host_is_refused():
    refusal = delivery_refusal("http://192.168.1.20:8080/hook", "https://shop.example")
    assert refusal and "private" in refusal
    assert "private" in delivery_refusal("http://localhost:8080/hook", "https://shop.example")


def test_a_store_overrides_the_refund_policy_it_sets_and_inherits_the_rest(monkeypatch):
    for name, value in {
        "WOOERP_REFUNDS__MANUAL_GATEWAYS": '["bacs", "cheque"]',
        "WOOERP_REFUNDS__AUTO_APPROVE_BELOW": "5",
        "WOOERP_STORES__EU__URL": "https://eu.example",
        "WOOERP_STORES__EU__CONSUMER_KEY": "ck", "WOOERP_STORES__EU__CONSUMER_SECRET": "cs",
        "WOOERP_STORES__EU__REFUNDS__MANUAL_GATEWAYS": '["cod", "giropay"]',
        "WOOERP_STORES__US__URL": "https://us.example",
        "WOOERP_STORES__US__CONSUMER_KEY": "ck", "WOOERP_STORES__US__CONSUMER_SECRET": "cs",
        "WOOERP_STORES__US__REFUNDS__ON_GATEWAY_REFUSAL": "park",
    }.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    eu, us = refund_policy(settings, "eu"), refund_policy(settings, "us")
    assert eu.manual_gateways == ["cod", "giropay"] and eu.on_gateway_refusal == "return_by_hand"
    assert us.manual_gateways == ["bacs", "cheque"] and us.on_gateway_refusal == "park"
    assert eu.auto_approve_below == us.auto_approve_below == 5
    assert refund_policy(settings).manual_gateways == ["bacs", "cheque"]


def test_the_default_policy_returns_offline_gateways_by_hand():
    policy = refund_policy(load_settings())
    assert policy.manual_gateways == ["bacs", "cheque", "cod"]
    assert policy.on_gateway_refusal == "return_by_hand"
