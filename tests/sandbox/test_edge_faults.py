"""Faults from what sits in front of a store: a host's rate limiter answering a
storm of 429s, and a WAF or maintenance page answering HTML where the client
expects JSON. Neither reaches WordPress: nothing is written, WP-Cron does not run."""
from __future__ import annotations

import json
import time

import httpx
import pytest

from tests.sandbox.support import own_sku, queued, unique, wait_until


@pytest.fixture(scope="module")
def api(sandbox_store):
    return sandbox_store.api()


def _orders_of(api, customer: int) -> int:
    return int(api.get("orders", params={"customer": customer}).headers["X-WP-Total"])


def _customer(api) -> int:
    email = f"{unique('edge').replace(' ', '-')}@example.com"
    return api.post("customers", {"email": email}).json()["id"]


def test_a_429_storm_answers_every_matching_call_until_it_is_over(sandbox_store, api):
    customer = _customer(api)
    order = {"customer_id": customer, "line_items": [{"sku": own_sku(api, "4.00")}]}
    with sandbox_store.faults(rest_429_storm_seconds=1.5, rest_path=r"^orders"):
        started = time.monotonic()
        hit = api.get("orders")
        assert (hit.status_code, hit.headers["Retry-After"]) == (429, "2")  # ceil of what is left
        assert hit.headers["content-type"].startswith("text/plain")
        assert api.post("orders", order).status_code == 429
        assert api.get("products", params={"per_page": 1}).status_code == 200  # another path
        # the storm ends when it said it would
        after = wait_until(lambda: (r := api.get("orders")).status_code != 429 and r,
                           timeout=5, what="the end of the storm")
        assert after.status_code == 200 and time.monotonic() - started >= 1.4
    assert _orders_of(api, customer) == 0  # the write during the storm never happened


def test_an_html_captcha_page_where_json_was_expected(sandbox_store, api):
    customer = _customer(api)
    order = {"customer_id": customer, "line_items": [{"sku": own_sku(api, "4.00")}]}
    with sandbox_store.faults(rest_html_next=1, rest_methods=["POST"], rest_path=r"^orders$"):
        page = api.post("orders", order)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "<html" in page.text and "security check" in page.text
        with pytest.raises(json.JSONDecodeError):
            json.loads(page.text)
        assert _orders_of(api, customer) == 0  # blocked before WordPress: nothing created
        assert api.post("orders", order).status_code == 201  # only the next one was hit
    with sandbox_store.faults(rest_html_rate=1.0, rest_html_status=503, rest_path=r"^products"):
        blocked = api.get("products", params={"per_page": 1})
        assert blocked.status_code == 503 and blocked.headers["content-type"].startswith("text/html")
        assert api.get("orders", params={"per_page": 1}).status_code == 200  # narrowed by path
    assert _orders_of(api, customer) == 1


def test_a_blocked_request_does_not_run_wp_cron(sandbox_store, webhook_receiver, hook, api):
    webhook = hook("product.updated")
    product = api.post("products", {"name": unique("Blocked"), "regular_price": "1.00"}).json()
    with sandbox_store.settings(webhook_cron="page_view"):
        api.put(f"products/{product['id']}", {"description": "waits"})
        with sandbox_store.faults(rest_429_storm_seconds=30):
            assert api.get("products/1").status_code == 429
        with sandbox_store.faults(rest_html_rate=1.0):
            assert api.get("products/1").status_code == 200
        assert queued(sandbox_store, webhook["id"])[0]["waiting_for_page_view"]
        assert api.get("products/1").headers["content-type"].startswith("application/json")
        wait_until(lambda: not queued(sandbox_store, webhook["id"]), what="the delivery after a real visit")


def test_fault_settings_are_checked(sandbox_store):
    url = f"{sandbox_store.url}/__sandbox/faults"
    try:
        for bad in ({"rest_html_rate": 2}, {"rest_html_status": 99}, {"rest_429_storm_seconds": -1},
                    {"rest_path": "("}, {"rest_5xx_mode": "during"}):
            assert httpx.put(url, json=bad, timeout=10).status_code == 400, bad
    finally:
        httpx.delete(url, timeout=10)
