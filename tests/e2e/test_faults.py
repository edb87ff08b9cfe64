"""Faults a production run will meet: the ERP going away for a while, and
the worker dying without a goodbye. No order may be lost or booked twice."""
from __future__ import annotations

import asyncio

from temporalio.service import RPCError

from sandbox.warehouse import Warehouse
from tests.e2e.shop import POSTER, TSHIRT, Shop
from tests.e2e.stack import STORE, E2EStack
from tests.e2e.test_order_to_cash import ORDER_TO_CASH
from workflows.order_types import erp_reference, order_workflow_id

# Seconds the ERP stays stopped; with its restart (a few seconds) it is
# unreachable for about 30 s. The ERP activities retry for about 90 s in all,
# the sixth attempt coming about 31 s after the first, once the ERP is back.
ERP_DOWNTIME = 26.0


async def _activities_in_flight(e2e: E2EStack, order_id: int) -> int:
    described = await e2e.handle(order_id).describe()
    return len(described.raw_description.pending_activities)


async def _pending_erp_attempts(e2e: E2EStack, order_id: int) -> int:
    try:
        described = await e2e.handle(order_id).describe()
    except RPCError:  # the webhook has not started the saga yet
        return 0
    return max((a.attempt for a in described.raw_description.pending_activities
                if a.activity_type.name.startswith("erp.")), default=0)


async def test_an_erp_outage_delays_the_order_but_it_completes(e2e: E2EStack, shop: Shop):
    loop = asyncio.get_running_loop()
    await e2e.stop_erp()
    down_since = loop.time()
    try:
        placed = shop.place_order({TSHIRT: 1, POSTER: 1})
        # Throughout the outage the saga is mid-flight, retrying its ERP step.
        attempts, during = 0, None
        while loop.time() - down_since < ERP_DOWNTIME:
            attempts = max(attempts, await _pending_erp_attempts(e2e, placed["id"]))
            during = await e2e.status(placed["id"]) or during
            await asyncio.sleep(0.5)
        assert attempts >= 3
        assert during.stage == "validating" and during.erp_document is None
    finally:
        await e2e.start_erp()

    closed = await e2e.ship(placed["id"], timeout=120)
    assert closed.stage == "closed" and closed.last_error is None
    assert len(await e2e.erp_sale_ids(placed["id"])) == 1


async def test_a_killed_worker_is_replaced_and_the_order_booked_once(e2e: E2EStack, shop: Shop):
    placed = shop.place_order({POSTER: 2})
    await e2e.wait_stage(placed["id"], "awaiting_shipment")
    # Kill between two shipment polls: an ERP call caught in flight would
    # only be retried after its 60 s start-to-close timeout (no heartbeats).
    while await _activities_in_flight(e2e, placed["id"]):
        await asyncio.sleep(0.02)

    dead = e2e.worker
    e2e.kill_worker()
    await dead.stop()
    assert dead.returncode == -9
    # The parcel leaves while no worker runs; the saga must notice it later.
    warehouse = Warehouse(e2e.erp.rpc, ship_delay=0, invoice_delay=0, receive_returns=False)
    ref = erp_reference(STORE, placed["id"])
    while not (await e2e.erp.get_sale(ref)).shipped:
        await warehouse.step()

    await e2e.start_worker()
    closed = await e2e.ship(placed["id"], timeout=120)
    assert closed.stage == "closed"
    sale_ids = await e2e.erp_sale_ids(placed["id"])
    assert len(sale_ids) == 1 and await e2e.party_sale_ids(sale_ids[0]) == sale_ids
    recorded = e2e.ledger.events_for(order_workflow_id(STORE, placed["id"]))
    assert [e.type for e in recorded] == ORDER_TO_CASH
