"""Faults a production run will meet: the ERP going away for a while, and
the worker dying without a goodbye. No order may be lost or booked twice."""
from __future__ import annotations

import asyncio
import os
import signal

import pytest
from temporalio.api.enums.v1 import PendingActivityState
from temporalio.service import RPCError

from activities import refs
from sandbox.warehouse import Warehouse
from tests.e2e.shop import MUG, POSTER, TSHIRT, Shop
from tests.e2e.stack import STORE, E2EStack
from tests.e2e.test_order_to_cash import ORDER_TO_CASH
from workflows.order_types import erp_reference, order_workflow_id

# ERP attempts seen failing before the ERP comes back: the saga is retrying,
# not parked, and its retries outlast an outage of that length.
FAILED_ATTEMPTS = 3
ACCEPT = refs.ERP_ACCEPT_ORDER.name


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


async def _accept_running(e2e: E2EStack, order_id: int) -> bool:
    """Is erp.accept_order started on a worker (not only scheduled) right now?"""
    try:
        described = await e2e.handle(order_id).describe()
    except RPCError:
        return False
    return any(a.activity_type.name == ACCEPT
               and a.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
               for a in described.raw_description.pending_activities)


async def test_an_erp_outage_delays_the_order_but_it_completes(e2e: E2EStack, shop: Shop):
    loop = asyncio.get_running_loop()
    await e2e.stop_erp()
    try:
        placed = shop.place_order({TSHIRT: 1, POSTER: 1})
        # The saga is mid-flight, retrying its ERP step: wait until it has
        # failed FAILED_ATTEMPTS times, however long that takes here.
        attempts, during, deadline = 0, None, loop.time() + 90
        while attempts <= FAILED_ATTEMPTS:
            assert loop.time() < deadline, f"only {attempts} ERP attempts; status {during}"
            attempts = max(attempts, await _pending_erp_attempts(e2e, placed["id"]))
            during = await e2e.status(placed["id"]) or during
            await asyncio.sleep(0.2)
        during = await e2e.status(placed["id"]) or during
        assert during.stage == "validating" and during.erp_document is None
        assert during.last_error is None  # retrying, not parked
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


async def test_a_worker_killed_while_the_erp_accepts_the_order_books_it_once(
        e2e: E2EStack, shop: Shop):
    """The risky window: erp.accept_order is running when the worker dies.
    The ERP is frozen (SIGSTOP) the moment the activity is seen started, so
    the kill lands mid-call; thawed, the ERP commits a sale nobody was told
    of. The retry (after the activity's start-to-close timeout) must find
    that sale, not book a second one; and the parcel that left meanwhile is
    seen."""
    tryton = e2e.tryton.server.process
    assert tryton is not None and tryton.poll() is None
    caught = None
    for _ in range(5):  # the call is short: a try can miss it, a missed order just goes on
        placed = shop.place_order({MUG: 1}, shipping=None)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while loop.time() < deadline and not await _accept_running(e2e, placed["id"]):
            status = await e2e.status(placed["id"])
            if status is not None and (status.erp_document or status.stage == "needs_attention"):
                break  # accepted already (or parked): missed the window
            await asyncio.sleep(0.01)
        os.kill(tryton.pid, signal.SIGSTOP)
        if await _accept_running(e2e, placed["id"]):
            caught = placed
            break
        os.kill(tryton.pid, signal.SIGCONT)
    if caught is None:
        pytest.fail("erp.accept_order was never caught running in 5 orders")
    restarted = False
    try:
        try:
            dead = e2e.worker
            e2e.kill_worker()
            await dead.stop()
            assert dead.returncode == -9
        finally:
            os.kill(tryton.pid, signal.SIGCONT)

        # The thawed ERP finishes the call of a worker that is gone: a sale
        # exists that the saga never heard of. Ship it while no worker runs.
        ref = erp_reference(STORE, caught["id"])
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while (sale := await e2e.erp.get_sale(ref)) is None or not sale.shipments:
            assert loop.time() < deadline, f"the interrupted accept left {sale}"
            await asyncio.sleep(0.2)
        warehouse = Warehouse(e2e.erp.rpc, ship_delay=0, invoice_delay=0, receive_returns=False)
        while not (await e2e.erp.get_sale(ref)).shipped:
            assert loop.time() < deadline + 60, "the warehouse could not ship the sale"
            await warehouse.step()
        await e2e.start_worker()
        restarted = True
    finally:
        if not restarted:  # a failure here must not leave the later tests without a worker
            await e2e.start_worker()
    closed = await e2e.ship(caught["id"], timeout=150)  # 60 s until the lost attempt times out
    assert closed.stage == "closed" and closed.last_error is None
    sale_ids = await e2e.erp_sale_ids(caught["id"])
    assert len(sale_ids) == 1 and await e2e.party_sale_ids(sale_ids[0]) == sale_ids
    history = await e2e.handle(caught["id"]).fetch_history()
    accepts = [e for e in history.events if e.HasField("activity_task_scheduled_event_attributes")
               and e.activity_task_scheduled_event_attributes.activity_type.name == ACCEPT]
    [started] = [e.activity_task_started_event_attributes for e in history.events
                 if e.HasField("activity_task_started_event_attributes")
                 and e.activity_task_started_event_attributes.scheduled_event_id
                 == accepts[0].event_id]
    assert len(accepts) == 1 and started.attempt == 2  # the killed attempt, then its retry
    recorded = e2e.ledger.events_for(order_workflow_id(STORE, caught["id"]))
    assert [e.type for e in recorded] == ORDER_TO_CASH
