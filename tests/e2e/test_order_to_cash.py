"""Order to cash through the real pieces: a checkout in the store, its webhook
through the ingress, the saga on the worker, the sale in Tryton, the
warehouse shipping it and the store showing it completed."""
from __future__ import annotations

import json
import uuid
from decimal import Decimal

from activities.woocommerce import ERP_META_KEY
from tests.e2e.histories import keep_history
from tests.e2e.shop import MUG, POSTER, TSHIRT, Shop, meta
from tests.e2e.stack import STORE, E2EStack
from workflows.order_types import erp_reference, order_workflow_id

ORDER_TO_CASH = ["OrderCaptured", "PaymentAuthorized", "OrderValidated", "OrderAccepted",
                 "ShipmentConfirmed", "InvoicePosted", "OrderClosed"]


async def test_a_paid_order_goes_from_checkout_to_closed(e2e: E2EStack, shop: Shop):
    placed = shop.place_order({TSHIRT: 2, POSTER: 1}, coupon="save10")
    woo_total = Decimal(placed["total"])

    accepted = await e2e.wait_stage(placed["id"], "awaiting_shipment")
    sale = await e2e.erp.get_sale(erp_reference(STORE, placed["id"]))
    assert sale is not None and sale.state in ("confirmed", "processing")
    assert sale.total.amount == woo_total  # same money on both sides
    assert accepted.erp_document == sale.number and accepted.erp_total == sale.total

    closed = await e2e.ship(placed["id"])
    assert closed.stage == "closed" and closed.order_status == "closed"
    order = shop.order(placed["id"])
    assert order["status"] == "completed"
    assert meta(order, ERP_META_KEY) == sale.number
    notes = shop.notes(placed["id"])
    assert any(sale.number in n and "Booked in the ERP" in n for n in notes)
    assert any(n.startswith("Shipped by the ERP") for n in notes)
    recorded = e2e.ledger.events_for(order_workflow_id(STORE, placed["id"]))
    assert [e.type for e in recorded] == ORDER_TO_CASH
    assert recorded[-2].payload["invoice_number"]  # the posted invoice is named
    await keep_history(e2e.handle(placed["id"]), "order_closed")


async def test_the_same_webhook_three_times_makes_one_sale(e2e: E2EStack, shop: Shop):
    placed = shop.place_order({MUG: 1})
    e2e.store.drain_webhooks()
    first, = [d for d in e2e.store.deliveries() if d.get("resource_id") == placed["id"]
              and d.get("topic") == "order.created"]
    assert first["ok"], first
    body, headers = first["body"].encode(), first["headers"]

    again = e2e.post_webhook(body, headers)  # while the saga runs
    assert again.status_code == 200
    closed = await e2e.ship(placed["id"])
    late = e2e.post_webhook(body, headers)  # after it closed
    assert late.status_code == 200

    assert closed.stage == "closed"
    sale_ids = await e2e.erp_sale_ids(placed["id"])
    assert len(sale_ids) == 1 and await e2e.party_sale_ids(sale_ids[0]) == sale_ids
    runs = await e2e.client.count_workflows(
        f'WorkflowId = "{order_workflow_id(STORE, placed["id"])}"')
    assert runs.count == 1
    assert (await e2e.status(placed["id"])).stage == "closed"


async def test_an_update_that_overtakes_its_create_wins(e2e: E2EStack, shop: Shop):
    """order.updated (paid, 3 posters) arrives before order.created (unpaid,
    1 poster): the saga must book the newer order, whatever the order of arrival."""
    with e2e.store.faults(webhook_drop_rate=1.0):  # we deliver these two ourselves
        e2e.store.admin("PUT", "clock", {"offset_seconds": -120})
        try:
            created = shop.place_order({POSTER: 1}, set_paid=False)
        finally:
            e2e.store.admin("PUT", "clock", {"offset_seconds": 0})
        line = created["line_items"][0]["id"]
        updated = shop.update(created["id"], set_paid=True,
                              line_items=[{"id": line, "quantity": 3}])
        e2e.store.drain_webhooks()
    assert created["status"] == "pending" and updated["status"] == "processing"
    assert updated["date_modified_gmt"] > created["date_modified_gmt"]

    for topic, payload in (("order.updated", updated), ("order.created", created)):
        answer = e2e.sign_and_post(topic, json.dumps(payload).encode(), uuid.uuid4().hex)
        assert answer.status_code == 200, answer.text

    closed = await e2e.ship(created["id"])
    assert closed.stage == "closed"
    sale = await e2e.erp.get_sale(erp_reference(STORE, created["id"]))
    assert sale.total.amount == Decimal(updated["total"]) != Decimal(created["total"])
