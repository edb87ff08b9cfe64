"""Saga logic on a real Temporal dev server with zero-latency fake activities.

The real-pieces versions of these paths are in tests/e2e/; these pin down
the workflow's own decisions (parking, retry, compensation, approval) fast.
"""
from __future__ import annotations

import asyncio

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from temporalio.client import WorkflowUpdateFailedError

from canonical.entities import ReturnLine
from sandbox.fake_systems import FakeWorld, sample_order
from tests.e2e.histories import keep_history
from tests.workflows.saga_harness import fake_workers, wait_for
from workflows.order_saga import OrderSaga
from workflows.order_types import OrderSagaInput, SagaPolicy
from workflows.refund_saga import RefundSaga
from workflows.refund_types import (LineRequest, RefundPolicy, RefundSagaInput, ReturnSagaInput)
from workers.sagas import support as svc
from workflows import search
from workflows.return_saga import ReturnSaga

FAST = SagaPolicy(poll_initial_seconds=0.05, poll_max_seconds=0.2)
RESULT_WITHIN = 30  # seconds: a saga that never ends fails here, not at pytest's 300 s timeout


def new_id() -> int:
    return uuid.uuid4().int % 10**8


async def start_order(client, queue, order, policy=FAST):
    return await client.start_workflow(
        OrderSaga.run, OrderSagaInput(store=order.store, woo_order_id=order.woo_id, policy=policy),
        id=f"order:{order.store}:{order.woo_id}", task_queue=queue,
        start_signal="woo_order_updated", start_signal_args=[order])


async def test_paid_order_walks_to_closed_and_records_every_event(temporal_client):
    world = FakeWorld()
    async with fake_workers(temporal_client, world) as queue:
        oid = new_id()
        result = await asyncio.wait_for(
            (await start_order(temporal_client, queue, sample_order(oid))).result(), RESULT_WITHIN)
    assert result.stage == "closed" and result.order_status == "closed"
    assert [e.type for e in world.events] == [
        "OrderCaptured", "PaymentAuthorized", "OrderValidated", "OrderAccepted",
        "ShipmentConfirmed", "InvoicePosted", "OrderClosed"]
    assert world.woo_calls == [f"write_back:{oid}:SO1", f"completed:{oid}"]


async def test_unpaid_order_waits_and_an_older_payload_does_not_win(temporal_client):
    world = FakeWorld()
    async with fake_workers(temporal_client, world) as queue:
        oid = new_id()
        t1 = datetime(2026, 11, 26, 13, tzinfo=timezone.utc)
        h = await start_order(temporal_client, queue, sample_order(oid, status="pending"))
        await wait_for(h, OrderSaga.status, lambda s: s.stage == "awaiting_payment")
        await h.signal(OrderSaga.woo_order_updated, sample_order(oid, status="processing", modified=t1))
        # a stale delivery (older date_modified) arriving late must not undo the payment
        await h.signal(OrderSaga.woo_order_updated, sample_order(oid, status="pending"))
        result = await asyncio.wait_for(h.result(), RESULT_WITHIN)
    assert result.stage == "closed" and result.woo_status == "processing"


async def test_unknown_sku_parks_then_retry_accepts(temporal_client):
    world = FakeWorld()
    async with fake_workers(temporal_client, world) as queue:
        parked_id = new_id()
        h = await start_order(temporal_client, queue, sample_order(parked_id, sku="WOO-NEW"))
        parked = await wait_for(h, OrderSaga.status, lambda s: s.stage == "needs_attention")
        assert "WOO-NEW" in parked.last_error and parked.order_status == "needs_attention"
        attrs = (await h.describe()).typed_search_attributes  # what the Web UI searches
        assert attrs.get(search.SAGA_STAGE) == "needs_attention"
        assert attrs.get(search.NEEDS_ATTENTION) is True
        assert "WOO-NEW" in attrs.get(search.STUCK_REASON)
        assert (attrs.get(search.WOO_STORE), attrs.get(search.WOO_ORDER_ID)) == (
            "default", parked_id)
        world.known_skus.add("WOO-NEW")
        await h.signal(OrderSaga.retry)
        result = await asyncio.wait_for(h.result(), RESULT_WITHIN)
        after = (await h.describe()).typed_search_attributes
    assert result.stage == "closed" and result.last_error is None
    assert after.get(search.NEEDS_ATTENTION) is False and after.get(search.STUCK_REASON) is None


async def test_cancel_before_shipment_cancels_the_erp_sale(temporal_client):
    world = FakeWorld(ship_immediately=False)
    async with fake_workers(temporal_client, world) as queue:
        oid = new_id()
        h = await start_order(temporal_client, queue, sample_order(oid))
        await wait_for(h, OrderSaga.status, lambda s: s.stage == "awaiting_shipment")
        later = datetime(2026, 11, 27, tzinfo=timezone.utc)
        await h.signal(OrderSaga.woo_order_updated, sample_order(oid, status="cancelled", modified=later))
        result = await asyncio.wait_for(h.result(), RESULT_WITHIN)
    assert result.stage == "cancelled" and f"woo:default:{oid}" in world.cancelled
    assert world.events[-1].type == "OrderCancelled" and world.events[-1].erp_sale_cancelled


async def test_resolve_ends_a_parked_saga(temporal_client):
    world = FakeWorld()
    async with fake_workers(temporal_client, world) as queue:
        h = await start_order(temporal_client, queue, sample_order(new_id(), sku="WOO-NEVER"))
        await wait_for(h, OrderSaga.status, lambda s: s.stage == "needs_attention")
        await h.signal(OrderSaga.resolve, "booked by hand as SO-77")
        assert (await asyncio.wait_for(h.result(), RESULT_WITHIN)).stage == "resolved"


def refund_input(oid, key, **kw):
    return RefundSagaInput(store="default", woo_order_id=oid, key=key, origin="support",
                           requested_by="agent", **kw)


async def test_refund_waits_for_approval_and_refuses_a_second_one(temporal_client):
    world = FakeWorld()
    async with fake_workers(temporal_client, world) as queue:
        oid = new_id()
        h = await temporal_client.start_workflow(
            RefundSaga.run, refund_input(oid, "a", lines=[LineRequest(line_id=oid * 10, quantity=1)]),
            id=f"refund:default:{oid}:a", task_queue=queue)
        await wait_for(h, RefundSaga.status, lambda s: s.stage == "awaiting_approval")
        assert world.woo_calls == []  # nothing moves before approval
        await h.execute_update(RefundSaga.approve, "alice")
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await h.execute_update(RefundSaga.approve, "bob")
        assert "already approved by alice" in refused.value.cause.message
        result = await asyncio.wait_for(h.result(), RESULT_WITHIN)
        with pytest.raises(svc.Refused, match="cannot approve: refund:default:.* already ended"):
            await svc.approve_refund(temporal_client, h.id, "carol")  # what the API/CLI call
    assert result.stage == "completed" and result.decided_by == "alice"
    assert world.woo_calls == [f"refund:{oid}:13.75"]  # one unit of 2 x 12.50 + 10 % tax
    assert [e.type for e in world.events][-3:] == ["CreditNotePosted", "StockDisposed",
                                                    "RefundCompleted"]


async def test_over_refund_is_refused_before_money_moves(temporal_client):
    world = FakeWorld()
    async with fake_workers(temporal_client, world) as queue:
        oid = new_id()
        h = await temporal_client.start_workflow(
            RefundSaga.run, refund_input(oid, "b", amount={"amount": "27.51", "currency": "USD"}),
            id=f"refund:default:{oid}:b", task_queue=queue)
        result = await asyncio.wait_for(h.result(), RESULT_WITHIN)
    assert result.stage == "rejected" and "exceeds the 27.50 USD left" in result.last_error
    assert world.woo_calls == [] and world.credit_notes == {}


async def test_credit_note_failing_after_money_parks_and_never_refunds_twice(temporal_client):
    world = FakeWorld(credit_note_fails=True)
    async with fake_workers(temporal_client, world) as queue:
        oid = new_id()
        h = await temporal_client.start_workflow(
            RefundSaga.run, refund_input(oid, "c", amount={"amount": "5.00", "currency": "USD"},
                                         policy=RefundPolicy(auto_approve_below=10)),
            id=f"refund:default:{oid}:c", task_queue=queue)
        parked = await wait_for(h, RefundSaga.status, lambda s: s.stage == "needs_attention")
        assert parked.last_error.startswith("money already refunded in WooCommerce")
        world.credit_note_fails = False
        await h.signal(RefundSaga.retry)
        result = await asyncio.wait_for(h.result(), RESULT_WITHIN)
    assert result.stage == "completed" and result.decided_by == "auto-approval"
    assert world.woo_calls == [f"refund:{oid}:5.00"]


async def test_partial_receipt_refunds_only_received_units(temporal_client):
    world = FakeWorld()
    async with fake_workers(temporal_client, world) as queue:
        oid = new_id()
        h = await temporal_client.start_workflow(
            ReturnSaga.run, ReturnSagaInput(
                store="default", rma=f"RMA{oid}", woo_order_id=oid, authorized_by="agent",
                lines=[ReturnLine(line_id=oid * 10, sku="WOO-MUG", quantity=2)]),
            id=f"return:default:RMA{oid}", task_queue=queue)
        await wait_for(h, ReturnSaga.status, lambda s: s.stage == "awaiting_receipt")
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await h.execute_update(ReturnSaga.receive, {oid * 10: 3})
        assert "authorized 2" in refused.value.cause.message
        await h.execute_update(ReturnSaga.receive, {oid * 10: 1})
        result = await asyncio.wait_for(h.result(), RESULT_WITHIN)
    assert result.stage == "closed" and result.received == {oid * 10: 1}
    assert world.woo_calls == [f"refund:{oid}:13.75"]  # 1 of 2 units, tax included


async def test_undecided_refund_escalates_after_a_day(time_skipping_env):
    """No decision within the escalation time (a day by default) parks the
    refund for a person; approval still completes it. Time-skipping server."""
    env, world = time_skipping_env, FakeWorld()
    async with fake_workers(env.client, world) as queue:
        oid = new_id()
        h = await env.client.start_workflow(
            RefundSaga.run, refund_input(oid, "e", lines=[LineRequest(line_id=oid * 10, quantity=2)]),
            id=f"refund:default:{oid}:e", task_queue=queue)
        await wait_for(h, RefundSaga.status, lambda s: s.stage == "awaiting_approval")
        await env.sleep(timedelta(hours=23))
        assert (await h.query(RefundSaga.status)).stage == "awaiting_approval"
        await env.sleep(timedelta(hours=2))
        parked = await wait_for(h, RefundSaga.status, lambda s: s.stage == "needs_attention")
        assert "undecided for 1 day" in parked.last_error and world.woo_calls == []
        await h.execute_update(RefundSaga.approve, "lead")
        result = await asyncio.wait_for(h.result(), RESULT_WITHIN)
    assert result.stage == "completed" and world.woo_calls == [f"refund:{oid}:27.50"]


async def test_a_saga_parked_by_an_erp_outage_retries_by_itself(time_skipping_env):
    """The ERP is down for longer than the activity's retries last: the saga
    parks (visible, with when it tries again) and, once the ERP is back,
    books the sale by itself, once. Time-skipping server."""
    env, world = time_skipping_env, FakeWorld(erp_down_for=3)
    async with fake_workers(env.client, world) as queue:
        oid = new_id()
        h = await start_order(env.client, queue, sample_order(oid),
                              FAST.model_copy(update={"max_attempts": 2}))
        parked = await wait_for(h, OrderSaga.status, lambda s: s.stage == "needs_attention")
        assert "ERP unreachable" in parked.last_error
        assert parked.pending_action.startswith("retried by itself at ")
        await env.sleep(timedelta(minutes=4))
        assert (await h.query(OrderSaga.status)).stage == "needs_attention"
        result = await asyncio.wait_for(h.result(), RESULT_WITHIN)
        await keep_history(h, "order_parked_auto_retried")
    assert result.stage == "closed" and world.erp_down_for == 0 and len(world.sales) == 1
    assert world.woo_calls == [f"write_back:{oid}:SO1", f"completed:{oid}"]


async def test_a_verdict_stays_parked_for_a_person(time_skipping_env):
    """A rejection a retry cannot change is never retried by the saga itself."""
    env, world = time_skipping_env, FakeWorld(erp_rejects="Customer is on credit hold")
    async with fake_workers(env.client, world) as queue:
        oid = new_id()
        h = await start_order(env.client, queue, sample_order(oid))
        parked = await wait_for(h, OrderSaga.status, lambda s: s.stage == "needs_attention")
        assert parked.pending_action.startswith("fix the cause")
        await env.sleep(timedelta(days=2))
        world.erp_rejects = None
        await env.sleep(timedelta(days=2))
        still = await h.query(OrderSaga.status)
    assert still.stage == "needs_attention" and world.sales == {}


@pytest.mark.parametrize("policy,stage,woo_calls", [
    ("park", "needs_attention", []),
    ("cancel_and_refund", "cancelled", ["refund:{oid}:27.50", "cancelled:{oid}"]),
])
async def test_erp_rejection_follows_the_configured_policy(temporal_client, policy, stage,
                                                           woo_calls):
    world = FakeWorld(erp_rejects="Customer is on credit hold")
    async with fake_workers(temporal_client, world) as queue:
        oid = new_id()
        h = await start_order(temporal_client, queue, sample_order(oid),
                              FAST.model_copy(update={"on_erp_rejection": policy}))
        status = await wait_for(h, OrderSaga.status, lambda s: s.stage == stage)
    told = status.last_error if stage == "needs_attention" else world.events[-1].reason
    assert "credit hold" in told  # the ERP's reason reaches whoever must act
    assert world.woo_calls == [c.format(oid=oid) for c in woo_calls]
    assert "OrderRejected" in [e.type for e in world.events]


async def test_stage_since_marks_entering_the_stage_not_the_last_poll(temporal_client):
    """`wooerp orders stuck --older-than 1h` finds an order waiting for its
    shipment for hours only if polling the ERP leaves StageSince alone."""
    world = FakeWorld(ship_immediately=False)
    async with fake_workers(temporal_client, world) as queue:
        oid = new_id()
        h = await start_order(temporal_client, queue, sample_order(oid))
        await wait_for(h, OrderSaga.status, lambda s: s.stage == "awaiting_shipment")
        entered = (await h.describe()).typed_search_attributes.get(search.STAGE_SINCE)
        reads = world.sale_reads
        await wait_for(h, OrderSaga.status, lambda s: world.sale_reads >= reads + 3)
        later = (await h.describe()).typed_search_attributes
        await h.terminate("test over")
    assert later.get(search.SAGA_STAGE) == "awaiting_shipment"
    assert entered is not None and later.get(search.STAGE_SINCE) == entered


async def test_a_trashed_order_holds_until_restored_and_a_stale_trash_is_ignored(
        temporal_client):
    world = FakeWorld(ship_immediately=False)
    async with fake_workers(temporal_client, world) as queue:
        oid = new_id()
        order = sample_order(oid)
        minute = timedelta(minutes=1)
        h = await start_order(temporal_client, queue, order)
        await wait_for(h, OrderSaga.status, lambda s: s.stage == "awaiting_shipment")

        world.orders[oid] = order.model_copy(
            update={"woo_status": "trash", "date_modified": order.date_modified + minute})
        await h.signal(OrderSaga.woo_order_trashed)
        parked = await wait_for(h, OrderSaga.status, lambda s: s.stage == "needs_attention")
        assert "trash" in parked.last_error
        world.ship_immediately = True  # the ERP ships meanwhile: the saga must not go on
        await h.signal(OrderSaga.erp_updated)
        await h.signal(OrderSaga.retry)  # the store still has it in the trash: parked again
        await wait_for(h, OrderSaga.status,
                       lambda s: world.order_reads == 2 and s.stage == "needs_attention")
        assert not any(c.startswith("completed:") for c in world.woo_calls)

        restored = order.model_copy(update={"date_modified": order.date_modified + 2 * minute})
        world.orders[oid] = restored
        await h.signal(OrderSaga.woo_order_trashed)  # a late delivery: the store says no
        await h.signal(OrderSaga.woo_order_updated, restored)  # order.restored
        result = await asyncio.wait_for(h.result(), RESULT_WITHIN)
    assert result.stage == "closed" and f"completed:{oid}" in world.woo_calls


async def test_an_update_that_carries_the_trash_status_holds_and_never_cancels(temporal_client):
    """A store builds a payload when it delivers it, so an order.updated can
    say `trash` before order.deleted arrives (or instead of it): that is a
    hold, not a cancellation of the ERP sale."""
    world = FakeWorld(ship_immediately=False)
    async with fake_workers(temporal_client, world) as queue:
        oid = new_id()
        order = sample_order(oid)
        minute = timedelta(minutes=1)
        h = await start_order(temporal_client, queue, order)
        await wait_for(h, OrderSaga.status, lambda s: s.stage == "awaiting_shipment")

        trashed = order.model_copy(
            update={"woo_status": "trash", "date_modified": order.date_modified + minute})
        world.orders[oid] = trashed
        await h.signal(OrderSaga.woo_order_updated, trashed)  # no order.deleted at all
        parked = await wait_for(h, OrderSaga.status, lambda s: s.stage == "needs_attention")
        assert "trash" in parked.last_error and world.cancelled == set()

        restored = order.model_copy(update={"date_modified": order.date_modified + 2 * minute})
        world.orders[oid] = restored
        world.ship_immediately = True
        await h.signal(OrderSaga.woo_order_updated, restored)  # order.restored
        result = await asyncio.wait_for(h.result(), 30)
    assert result.stage == "closed" and world.cancelled == set()
