"""Refunds on gateways that cannot refund by themselves, as a real WooCommerce
answers them (CONTRACT.md 11): api_refund=true is refused with HTTP 500 and
nothing is saved; api_refund=false records the refund. Which gateways are
manual is the store's `--manual-gateways` list (a real store asks each
gateway's supports('refunds'))."""
from __future__ import annotations

import pytest

from tests.fixtures.store import SandboxStore

REFUSED = "woocommerce_rest_cannot_create_order_refund"


@pytest.fixture(scope="module")
def cheque_only(tmp_path_factory) -> SandboxStore:
    root = tmp_path_factory.mktemp("manual-gateways")
    store = SandboxStore(root / "data", root / "store.log",
                         extra_args=("--manual-gateways", "cheque,giftcard"))
    store.start()
    yield store
    store.stop()


def _paid(api, method: str) -> dict:
    resp = api.post("orders", {"line_items": [{"sku": "WOO-POSTER"}], "set_paid": True,
                               "payment_method": method})
    assert resp.status_code == 201, resp.text
    return resp.json()


def _refund(api, order: dict, **body):
    return api.post(f"orders/{order['id']}/refunds", {"amount": "1.00", **body})


def test_default_manual_gateways_refuse_automatic_refunds_and_save_nothing(sandbox_store):
    api = sandbox_store.api()
    for method in ("bacs", "cheque", "cod"):
        order = _paid(api, method)
        refused = _refund(api, order)
        assert (refused.status_code, refused.json()["code"]) == (500, REFUSED), method
        assert refused.json()["message"] == (
            "The payment gateway for this order does not support automatic refunds.")
        assert api.get(f"orders/{order['id']}/refunds").json() == []  # nothing kept
        assert _refund(api, order, api_refund=False).status_code == 201
    card = _refund(api, _paid(api, "sandbox_card"))
    assert card.status_code == 201 and card.json()["refunded_payment"] is True


def test_a_gateway_whose_plugin_is_gone_does_not_exist(sandbox_store):
    api = sandbox_store.api()
    order = _paid(api, "paypal_standard_uninstalled")
    refused = _refund(api, order)
    assert (refused.status_code, refused.json()["message"]) == (
        500, "The payment gateway for this order does not exist.")
    assert _refund(api, order, api_refund=False).status_code == 201


def test_the_manual_gateway_list_is_the_stores_setting(cheque_only):
    api = cheque_only.api()
    assert _refund(api, _paid(api, "giftcard")).status_code == 500  # known, cannot refund
    assert _refund(api, _paid(api, "cheque")).status_code == 500
    assert _refund(api, _paid(api, "cod")).status_code == 201  # refunds by itself here
