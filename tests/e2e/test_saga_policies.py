"""Saga behaviours that the fakes (tests/workflows/) pin down, once more on
the real pieces: refund escalation, the `cancel_and_refund` policy, and
StageSince as `wooerp orders stuck --stage/--older-than` reads it. Support
drives them with the CLI, as the README says."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from temporalio.service import RPCError, RPCStatusCode

from activities import refs
from systems.woocommerce.mapping import order_from_woo
from tests.e2e.shop import MUG, POSTER, Shop
from tests.e2e.stack import STORE, E2EStack
from tests.e2e.test_refunds import closed_order, settle, store_refunds
from workflows import search
from workflows.order_types import erp_reference, order_workflow_id
from workflows.refund_saga import RefundSaga
from workflows.refund_types import refund_marker, refund_workflow_id


def cli_ok(run) -> str:
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout


def field(output: str, name: str) -> str:
    """A value of `wooerp ... status` (aligned `key  value` lines)."""
    line = next(l for l in output.splitlines() if l.split(maxsplit=1)[:1] == [name])
    return line.split(maxsplit=1)[1].strip()


async def test_an_undecided_refund_escalates_and_approval_still_completes_it(
        e2e: E2EStack, shop: Shop):
    order = await closed_order(e2e, shop, {POSTER: 1})
    fast = {"WOOERP_REFUNDS__ESCALATE_AFTER_SECONDS": "2"}  # the deployment's policy
    wid = cli_ok(e2e.cli_with(fast, "refund", "request", STORE, str(order["id"]),
                              "--amount", "3.00", "--by", "agent", "--reason", "late")).strip()
    assert wid.startswith(f"refund:{STORE}:{order['id']}:")
    waiting = await settle(e2e, wid, RefundSaga.status, ("awaiting_approval",))
    assert waiting.pending_action.startswith("approve or reject")

    parked = await settle(e2e, wid, RefundSaga.status, ("needs_attention",))
    assert "undecided for 0:00:02" in parked.last_error
    described = await e2e.client.get_workflow_handle(wid).describe()
    attrs = described.typed_search_attributes
    assert attrs.get(search.NEEDS_ATTENTION) is True
    assert "undecided" in attrs.get(search.STUCK_REASON)
    assert store_refunds(shop, order["id"]) == []  # escalating moves nothing

    shown = cli_ok(e2e.cli("refund", "status", wid))
    assert field(shown, "stage") == "needs_attention" and field(shown, "decision") == "-"
    approved = cli_ok(e2e.cli("refund", "approve", wid, "--by", "lead"))
    assert field(approved, "decided_by") == "lead"
    done = await settle(e2e, wid, RefundSaga.status, ("completed",))
    assert done.decided_by == "lead" and done.last_error is None
    assert [Decimal(r["amount"]) for r in store_refunds(shop, order["id"])] == [Decimal("3.00")]
    events = [e.type for e in e2e.ledger.events_for(wid)]
    assert events[:2] == ["RefundRequested", "RefundApproved"] and events[-1] == "RefundCompleted"


async def test_cancel_and_refund_policy_gives_the_money_back_when_the_erp_refuses(
        e2e: E2EStack, shop: Shop):
    """A deployment set to `saga.on_erp_rejection = cancel_and_refund`: the ERP
    refuses the sale (here someone cancelled the sale of that reference in
    Tryton), so the store order is refunded in full and cancelled, once, and
    the refund is known as wooerp's own: no second saga books it."""
    await e2e.restart_ingress(WOOERP_SAGA__ON_ERP_REJECTION="cancel_and_refund")
    try:
        placed = shop.place_order({MUG: 2}, set_paid=False)
        await e2e.wait_stage(placed["id"], "awaiting_payment")
        ref = erp_reference(STORE, placed["id"])
        await e2e.erp.create_sale(order_from_woo(shop.order(placed["id"]), store=STORE), ref)
        assert (await e2e.erp.cancel_sale(ref)).state == "cancelled"

        shop.update(placed["id"], set_paid=True)
        cancelled = await e2e.wait_stage(placed["id"], "cancelled", "needs_attention")
        assert cancelled.stage == "cancelled", cancelled
    finally:
        await e2e.restart_ingress()

    order = shop.order(placed["id"])
    assert order["status"] == "cancelled"
    [refund] = store_refunds(shop, placed["id"])
    assert Decimal(refund["amount"]) == Decimal(placed["total"]) and refund["refunded_payment"]
    assert "Rejected by the ERP" in refund["reason"] and "cancelled" in refund["reason"]
    assert refund_marker(f"{ref}:rejected") in refund["reason"]
    recorded = [e.type for e in e2e.ledger.events_for(order_workflow_id(STORE, placed["id"]))]
    assert recorded[-2:] == ["OrderRejected", "OrderCancelled"]
    assert "OrderAccepted" not in recorded
    assert len(await e2e.erp_sale_ids(placed["id"])) == 1  # the refused one, still cancelled

    # The store's order.updated carries the refund: forwarding it (as a
    # webhook does) must not start a RefundSaga for wooerp's own refund.
    synced = cli_ok(e2e.cli("order", "sync", STORE, str(placed["id"])))
    assert "already closed" in synced and "started" not in synced
    with pytest.raises(RPCError) as none:  # no RefundSaga for the policy's own refund
        await e2e.client.get_workflow_handle(
            refund_workflow_id(STORE, placed["id"], refund["id"])).describe()
    assert none.value.status == RPCStatusCode.NOT_FOUND


async def test_stage_since_marks_entering_the_stage_and_orders_stuck_reads_it(
        e2e: E2EStack, shop: Shop):
    placed = shop.place_order({MUG: 1}, shipping=None)
    await e2e.wait_stage(placed["id"], "awaiting_shipment")  # nothing ships yet
    wid = order_workflow_id(STORE, placed["id"])
    handle = e2e.client.get_workflow_handle(wid)
    entered = (await handle.describe()).typed_search_attributes.get(search.STAGE_SINCE)
    assert entered is not None
    assert datetime.now(timezone.utc) - entered < timedelta(minutes=1)

    # Evidence of polling: the saga reads the sale again and again meanwhile.
    reads = await e2e.scheduled(wid, refs.ERP_GET_SALE.name)
    deadline = asyncio.get_running_loop().time() + 30
    while await e2e.scheduled(wid, refs.ERP_GET_SALE.name) < reads + 3:
        assert asyncio.get_running_loop().time() < deadline, "the saga stopped polling the ERP"
        await asyncio.sleep(0.2)
    later = (await handle.describe()).typed_search_attributes
    assert later.get(search.SAGA_STAGE) == "awaiting_shipment"
    assert later.get(search.STAGE_SINCE) == entered  # polls do not reset it

    def stuck(*args: str) -> str:
        return cli_ok(e2e.cli("orders", "stuck", "--store", STORE, *args))

    deadline = asyncio.get_running_loop().time() + 20
    while wid not in (listed := stuck("--stage", "awaiting_shipment", "--older-than", "2s")):
        assert asyncio.get_running_loop().time() < deadline, listed  # visibility catches up
        await asyncio.sleep(0.5)
    row = next(l for l in listed.splitlines() if wid in l)
    assert "awaiting_shipment" in row and entered.isoformat(timespec="seconds")[:16] in row
    assert 'SagaStage = "awaiting_shipment"' in listed and "StageSince <" in listed
    assert wid not in stuck("--stage", "awaiting_shipment", "--older-than", "1h")
    assert wid not in stuck("--stage", "awaiting_invoice")

    assert (await e2e.ship(placed["id"])).stage == "closed"
