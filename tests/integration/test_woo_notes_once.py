"""Store writes that add a note for people, retried after the write that
follows the note failed: the note is there once, on the sandbox store."""
from __future__ import annotations

import dataclasses

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.contracts import CancelWooOrderInput, MarkShippedInput, WriteBackInput
from activities.woocommerce import ERP_META_KEY, WooActivities

STORE = "default"


def attempt(fn, inp, n: int):
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, attempt=n)
    return env.run(fn, inp)


def retried_after_a_failed_update(sandbox_store, fn, inp) -> None:
    """Attempt 1: the note is added, then the store refuses the PUT (a 503);
    attempt 2 goes through."""
    with sandbox_store.faults(rest_5xx_next=1, rest_methods=["PUT"], rest_path=r"^orders/\d+$"):
        with pytest.raises(ApplicationError, match="503"):
            attempt(fn, inp, 1)
    attempt(fn, inp, 2)


@pytest.fixture
def acts(sandbox_store) -> WooActivities:
    return WooActivities({STORE: sandbox_store.client()})


@pytest.fixture
def order(sandbox_store) -> dict:
    return sandbox_store.api().post("orders", {
        "set_paid": True, "payment_method": "sandbox_card",
        "line_items": [{"sku": "WOO-MUG", "quantity": 1}]}).json()


def notes(sandbox_store, order_id: int, text: str) -> list[dict]:
    return [n for n in sandbox_store.client().list_order_notes(order_id) if text in n["note"]]


def test_the_erp_number_is_noted_once_when_the_meta_update_is_retried(sandbox_store, acts, order):
    retried_after_a_failed_update(sandbox_store, acts.write_erp_document, WriteBackInput(
        store=STORE, woo_order_id=order["id"], erp_document="SO-4711"))
    assert len(notes(sandbox_store, order["id"], "SO-4711")) == 1
    meta = {m["key"]: m["value"] for m in sandbox_store.client().get_order(order["id"])["meta_data"]}
    assert meta[ERP_META_KEY] == "SO-4711"


def test_the_customer_hears_of_the_shipment_once_when_completing_is_retried(
        sandbox_store, acts, order):
    retried_after_a_failed_update(sandbox_store, acts.mark_shipped, MarkShippedInput(
        store=STORE, woo_order_id=order["id"], erp_document="SO-4712", tracking_number="1Z42"))
    [shipped] = notes(sandbox_store, order["id"], "1Z42")
    assert shipped["customer_note"] is True
    assert sandbox_store.client().get_order(order["id"])["status"] == "completed"


def test_a_cancellation_is_noted_once_when_it_is_retried(sandbox_store, acts, order):
    retried_after_a_failed_update(sandbox_store, acts.cancel_order, CancelWooOrderInput(
        store=STORE, woo_order_id=order["id"], reason="fraud check failed"))
    assert len(notes(sandbox_store, order["id"], "fraud check failed")) == 1
    assert sandbox_store.client().get_order(order["id"])["status"] == "cancelled"
