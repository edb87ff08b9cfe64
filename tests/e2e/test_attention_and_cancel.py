"""Orders that need a person, and orders the shopper takes back."""
from __future__ import annotations

import uuid
from decimal import Decimal

import httpx

from tests.e2e.erp_admin import create_stocked_product
from tests.e2e.histories import keep_history
from tests.e2e.shop import MUG, TSHIRT, Shop
from tests.e2e.stack import STORE, E2EStack
from workflows.order_types import erp_reference, order_workflow_id


async def test_an_unmapped_sku_parks_until_it_is_mapped_and_retried(e2e: E2EStack, shop: Shop):
    # A product sold in the store but never set up in the ERP (like the
    # catalog's WOO-UNMAPPED, but our own, so the shared ERP stays as seeded).
    sku = f"E2E-PRINT-{uuid.uuid4().hex[:6].upper()}"
    shop.create_product(sku, Decimal("30.00"), stock=10)
    placed = shop.place_order({MUG: 1, sku: 1})

    parked = await e2e.wait_stage(placed["id"], "needs_attention")
    assert sku in parked.last_error and parked.pending_action
    described = await e2e.handle(placed["id"]).describe()
    attrs = {p.key.name: p.value for p in described.typed_search_attributes}
    assert attrs["NeedsAttention"] is True and sku in attrs["StuckReason"]
    assert await e2e.erp_sale_ids(placed["id"]) == []  # nothing booked
    shown = e2e.cli("order", "status", STORE, str(placed["id"]))
    assert shown.returncode == 0, shown.stderr
    status = {l.split(maxsplit=1)[0]: l.split(maxsplit=1)[-1] for l in shown.stdout.splitlines()
              if l.strip()}
    assert status["stage"].strip() == "needs_attention" and sku in status["last_error"]
    assert status["pending_action"].startswith("fix the cause")
    assert status["ledger_status"].startswith("needs_attention (from ")

    stuck = e2e.cli("orders", "stuck")
    assert stuck.returncode == 0, stuck.stderr
    row = next(line for line in stuck.stdout.splitlines()
               if order_workflow_id(STORE, placed["id"]) in line)
    assert "needs_attention" in row and sku in row

    await create_stocked_product(e2e.erp.rpc, sku, Decimal("30.00"), stock=10)
    retried = e2e.cli("order", "retry", STORE, str(placed["id"]))
    assert retried.returncode == 0, retried.stderr

    accepted = await e2e.wait_stage(placed["id"], "awaiting_shipment", "closed")
    assert accepted.last_error is None and accepted.erp_document
    sale = await e2e.erp.get_sale(erp_reference(STORE, placed["id"]))
    assert sale.total.amount == Decimal(placed["total"])
    assert (await e2e.ship(placed["id"])).stage == "closed"
    again = e2e.cli("orders", "stuck")
    assert order_workflow_id(STORE, placed["id"]) not in again.stdout
    await keep_history(e2e.handle(placed["id"]), "order_parked_then_retried")


async def test_a_cancellation_before_shipment_cancels_the_erp_sale(e2e: E2EStack, shop: Shop):
    placed = shop.place_order({TSHIRT: 1})
    accepted = await e2e.wait_stage(placed["id"], "awaiting_shipment")  # nothing ships yet
    assert accepted.erp_document

    shop.update(placed["id"], status="cancelled")

    cancelled = await e2e.wait_stage(placed["id"], "cancelled")
    assert cancelled.order_status == "cancelled"
    sale = await e2e.erp.get_sale(erp_reference(STORE, placed["id"]))
    assert sale.cancelled and not sale.shipped
    recorded = e2e.ledger.events_for(order_workflow_id(STORE, placed["id"]))
    assert recorded[-1].type == "OrderCancelled" and recorded[-1].payload["erp_sale_cancelled"]
    await keep_history(e2e.handle(placed["id"]), "order_cancelled")


async def test_a_trashed_order_holds_its_saga_until_restored(e2e: E2EStack, shop: Shop):
    placed = shop.place_order({MUG: 1})
    await e2e.wait_stage(placed["id"], "awaiting_shipment")  # booked in the ERP, not shipped

    trashed = shop.api.delete(f"orders/{placed['id']}")  # WooCommerce's trash, not force
    assert trashed.status_code == 200
    parked = await e2e.wait_stage(placed["id"], "needs_attention")
    assert "trash" in parked.last_error and parked.erp_document

    restored = httpx.post(f"{e2e.store.url}/__sandbox/orders/{placed['id']}/restore", timeout=10)
    assert restored.json()["status"] == "processing"
    closed = await e2e.ship(placed["id"])  # order.restored un-parks it
    assert closed.stage == "closed" and closed.last_error is None
    assert shop.order(placed["id"])["status"] == "completed"
    await keep_history(e2e.handle(placed["id"]), "order_trashed_then_restored")
