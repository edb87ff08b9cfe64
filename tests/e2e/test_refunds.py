"""Return-to-refund on the real pieces: support approval, money in the store
(`api_refund`), the credit note and restock in Tryton, returns with partial
receipt, and refunds made in WooCommerce admin."""
from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError

from activities import refs
from canonical.money import Money
from tests.e2e.histories import keep_history
from tests.e2e.shop import MUG, POSTER, TSHIRT, Shop
from tests.e2e.stack import DEPLOYMENT, STORE, E2EStack
from workers.sagas import support as svc
from workflows.refund_saga import RefundSaga
from workflows.refund_types import RefundPolicy, refund_workflow_id
from workflows.return_saga import ReturnSaga

QUEUE = f"orders@{DEPLOYMENT}"


async def closed_order(e2e: E2EStack, shop: Shop, lines: dict[str, int]) -> dict:
    placed = shop.place_order(lines, shipping=None)
    assert (await e2e.ship(placed["id"])).stage == "closed"
    return shop.order(placed["id"])


async def settle(e2e: E2EStack, workflow_id: str, query, stages: tuple[str, ...], timeout=60):
    handle = e2e.client.get_workflow_handle(workflow_id)
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        status = await handle.query(query)
        if status.stage in stages:
            return status
        assert asyncio.get_running_loop().time() < deadline, status
        await asyncio.sleep(0.2)


async def started(e2e: E2EStack, workflow_id: str, timeout: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            await e2e.client.get_workflow_handle(workflow_id).describe()
            return
        except RPCError:
            assert asyncio.get_running_loop().time() < deadline, f"{workflow_id} never started"
            await asyncio.sleep(0.2)


def line_id(order: dict, sku: str) -> int:
    return next(i["id"] for i in order["line_items"] if i["sku"] == sku)


def store_refunds(shop: Shop, order_id: int) -> list[dict]:
    return shop.api.get(f"orders/{order_id}/refunds").json()


async def test_approved_refund_moves_money_once_and_books_a_credit_note(e2e, shop):
    order = await closed_order(e2e, shop, {TSHIRT: 2})
    wid = await svc.request_refund(e2e.client, store=STORE, order_id=order["id"],
                                   requested_by="agent", lines={line_id(order, TSHIRT): 1},
                                   reason="torn", task_queue=QUEUE)
    waiting = await settle(e2e, wid, RefundSaga.status, ("awaiting_approval",))
    assert store_refunds(shop, order["id"]) == []  # nothing moves before approval
    await svc.approve_refund(e2e.client, wid, "alice")
    with pytest.raises(WorkflowUpdateFailedError):
        await svc.approve_refund(e2e.client, wid, "bob")
    done = await settle(e2e, wid, RefundSaga.status, ("completed",))

    [refund] = store_refunds(shop, order["id"])
    assert Decimal(refund["amount"]) == waiting.amount.amount == Decimal("19.80")  # 18 + 10 %
    assert refund["refunded_payment"] and wid in refund["reason"]
    note = await e2e.erp.get_sale(wid)  # the return sale carries the refund reference
    assert note.invoices[0].kind == "credit_note" and note.invoices[0].state == "posted"
    assert note.total == -waiting.amount and done.credit_note == note.invoices[0].number
    events = [e.type for e in e2e.ledger.events_for(wid)]
    assert events == ["RefundRequested", "RefundApproved", "CreditNotePosted", "StockDisposed",
                      "RefundCompleted"]
    await keep_history(e2e.client.get_workflow_handle(wid), "refund_approved")


async def test_rejected_refund_and_over_refund_move_no_money(e2e, shop):
    order = await closed_order(e2e, shop, {POSTER: 1})
    wid = await svc.request_refund(e2e.client, store=STORE, order_id=order["id"],
                                   requested_by="agent", amount=Money.of("5.00", "USD"),
                                   task_queue=QUEUE)
    await settle(e2e, wid, RefundSaga.status, ("awaiting_approval",))
    said = e2e.cli("refund", "reject", wid, "--by", "lead", "--reason", "not eligible")
    assert said.returncode == 0, said.stdout + said.stderr
    assert "decision" in said.stdout and "rejected" in said.stdout
    rejected = await settle(e2e, wid, RefundSaga.status, ("rejected",))
    assert rejected.decided_by == "lead"
    again = e2e.cli("refund", "reject", wid, "--by", "lead", "--reason", "twice")
    assert again.returncode == 1 and "refused: cannot reject" in again.stderr, again.stderr

    over = await svc.request_refund(e2e.client, store=STORE, order_id=order["id"],
                                    requested_by="agent", task_queue=QUEUE,
                                    amount=Money.of(Decimal(order["total"]) + 1, "USD"))
    refused = await settle(e2e, over, RefundSaga.status, ("rejected",))
    assert "exceeds" in refused.last_error
    assert store_refunds(shop, order["id"]) == []
    assert await e2e.erp.get_sale(over) is None


async def test_small_refund_is_auto_approved(e2e, shop):
    order = await closed_order(e2e, shop, {MUG: 1})
    wid = await svc.request_refund(e2e.client, store=STORE, order_id=order["id"],
                                   requested_by="agent", amount=Money.of("2.00", "USD"),
                                   policy=RefundPolicy(auto_approve_below=Decimal("10")),
                                   task_queue=QUEUE)
    done = await settle(e2e, wid, RefundSaga.status, ("completed",))
    assert done.decided_by == "auto-approval"
    assert [Decimal(r["amount"]) for r in store_refunds(shop, order["id"])] == [Decimal("2.00")]


async def test_credit_note_failing_after_money_moved_parks_with_one_refund(e2e, shop):
    """The ERP never booked this order (unknown SKU, parked): the money goes back
    in the store, the credit note cannot be booked, the saga says so and waits;
    a retry does not refund again."""
    placed = shop.place_order({"WOO-UNMAPPED": 1}, shipping=None)
    await e2e.wait_stage(placed["id"], "needs_attention")
    wid = await svc.request_refund(e2e.client, store=STORE, order_id=placed["id"],
                                   requested_by="agent", amount=Money.of("3.00", "USD"),
                                   policy=RefundPolicy(auto_approve_below=Decimal("10")),
                                   task_queue=QUEUE)
    parked = await settle(e2e, wid, RefundSaga.status, ("needs_attention",))
    assert parked.last_error.startswith("money already refunded in WooCommerce")
    handle = e2e.client.get_workflow_handle(wid)
    credit_notes = await e2e.scheduled(wid, refs.ERP_CREDIT_NOTE.name)
    await handle.signal(RefundSaga.retry)
    # Evidence the retry ran: the credit note was tried again, and failed again.
    deadline = asyncio.get_running_loop().time() + 60
    while (tried := await e2e.scheduled(wid, refs.ERP_CREDIT_NOTE.name)) == credit_notes or (
            await handle.query(RefundSaga.status)).stage != "needs_attention":
        assert asyncio.get_running_loop().time() < deadline, \
            f"the retry never ran the credit note again ({tried} tries)"
        await asyncio.sleep(0.2)
    again = await handle.query(RefundSaga.status)
    assert again.woo_refund_id == parked.woo_refund_id
    assert again.last_error.startswith("money already refunded in WooCommerce")
    assert await e2e.scheduled(wid, refs.WOO_CREATE_REFUND.name) == 1  # money moved once
    assert len(store_refunds(shop, placed["id"])) == 1

    # The order itself stays parked (its SKU is unknown): a person books it by hand.
    resolved = e2e.cli("order", "resolve", STORE, str(placed["id"]), "--note", "booked by hand")
    assert resolved.returncode == 0, resolved.stdout + resolved.stderr
    assert (await e2e.wait_stage(placed["id"], "resolved")).last_error is None


async def test_return_with_partial_receipt_refunds_and_restocks_only_what_arrived(e2e, shop):
    order = await closed_order(e2e, shop, {TSHIRT: 2})
    rma = f"RMA-{order['id']}"
    stock_before = (await e2e.erp.stock_levels([TSHIRT]))[TSHIRT]
    line = line_id(order, TSHIRT)
    authorized = e2e.cli("return", "authorize", STORE, rma, str(order["id"]),
                         "--line", f"{line}=2", "--by", "agent")
    assert authorized.returncode == 0, authorized.stdout + authorized.stderr
    wid = authorized.stdout.strip()
    assert wid == f"return:{STORE}:{rma}"
    await settle(e2e, wid, ReturnSaga.status, ("awaiting_receipt",))
    shown = e2e.cli("return", "status", STORE, rma)
    assert shown.returncode == 0 and "awaiting_receipt" in shown.stdout, shown.stderr
    too_many = e2e.cli("return", "receive", STORE, rma, "--line", f"{line}=3")
    assert too_many.returncode == 1 and "authorized 2" in too_many.stderr, too_many.stderr
    received = e2e.cli("return", "receive", STORE, rma, "--line", f"{line}=1")
    assert received.returncode == 0, received.stdout + received.stderr
    closed = await settle(e2e, wid, ReturnSaga.status, ("closed",))

    [refund] = store_refunds(shop, order["id"])
    assert Decimal(refund["amount"]) == Decimal("19.80")  # one of two T-shirts, tax included
    child = refund_workflow_id(STORE, order["id"], f"{rma}-restock")
    assert closed.refund_workflow_id == child
    note = await e2e.erp.get_sale(child)
    assert note.invoices[0].state == "posted" and note.return_shipments[0].state == "done"
    assert (await e2e.erp.stock_levels([TSHIRT]))[TSHIRT] == stock_before + 1
    await keep_history(e2e.client.get_workflow_handle(wid), "return_partial_receipt")


async def test_refund_made_in_woo_admin_books_a_credit_note(e2e, shop):
    order = await closed_order(e2e, shop, {POSTER: 2})
    made = shop.api.post(f"orders/{order['id']}/refunds", {
        "amount": "4.00", "reason": "goodwill", "api_refund": False}).json()
    wid = refund_workflow_id(STORE, order["id"], made["id"])
    await started(e2e, wid)  # by the order.updated webhook, through the ingress
    done = await settle(e2e, wid, RefundSaga.status, ("completed",))
    assert done.decided_by == "woocommerce" and done.woo_refund_id is None
    note = await e2e.erp.get_sale(wid)
    assert note.invoices[0].state == "posted" and note.total == -Money.of("4.00", "USD")
    assert len(store_refunds(shop, order["id"])) == 1  # the saga did not refund again
    await keep_history(e2e.client.get_workflow_handle(wid), "refund_from_woo_admin")
