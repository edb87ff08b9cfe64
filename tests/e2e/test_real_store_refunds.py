"""What a real WooCommerce does to refunds, on the real pieces (processes,
Tryton, the sandbox store answering as a real store does):

- a support-approved refund on a bank-transfer (bacs) order: the store cannot
  refund it automatically, so it is recorded without the gateway, the credit
  note is posted, and a "return the money by hand" action waits until support
  says the money was sent;
- a line refunded in Woo admin without its tax reaches the ERP as a credit
  note of exactly that, and the tax kept is a recorded variance;
- after the saga completed the order in the store, `wooerp order status`
  says so.
"""
from __future__ import annotations

import asyncio
from decimal import Decimal

import httpx

from canonical.money import Money
from tests.e2e.histories import keep_history
from tests.e2e.shop import POSTER, TSHIRT
from tests.e2e.stack import STORE, SUPPORT_TOKEN, E2EStack
from tests.e2e.test_refunds import closed_order, line_id, settle, started, store_refunds
from workflows import search
from workflows.refund_saga import RefundSaga
from workflows.refund_types import refund_workflow_id


def cli_ok(e2e: E2EStack, *args: str) -> str:
    done = e2e.cli(*args)
    assert done.returncode == 0, f"wooerp {' '.join(args)}: {done.stdout}{done.stderr}"
    return done.stdout


def field(output: str, name: str) -> str:
    """A `key  value` line of the CLI's status output."""
    for line in output.splitlines():
        key, _, value = line.partition(" ")
        if key == name:
            return value.strip()
    raise AssertionError(f"no {name} in:\n{output}")


async def test_a_bacs_refund_is_booked_and_waits_until_support_sent_the_money(e2e, shop):
    placed = shop.place_order({TSHIRT: 2}, shipping=None, payment_method="bacs")
    assert (await e2e.ship(placed["id"])).stage == "closed"
    order = shop.order(placed["id"])
    # point 8: the saga completed the order in the store, and says so
    status = cli_ok(e2e, "order", "status", STORE, str(order["id"]))
    assert order["status"] == "completed" and field(status, "woo_status") == "completed"

    wid = cli_ok(e2e, "refund", "request", STORE, str(order["id"]), "--line",
                 f"{line_id(order, TSHIRT)}=1", "--by", "agent", "--reason", "torn").strip()
    await settle(e2e, wid, RefundSaga.status, ("awaiting_approval",))
    cli_ok(e2e, "refund", "approve", wid, "--by", "alice")
    waiting = await settle(e2e, wid, RefundSaga.status, ("awaiting_manual_refund",))

    # recorded in the store without the gateway (which would refuse: HTTP 500)
    [refund] = store_refunds(shop, order["id"])
    assert refund["refunded_payment"] is False and wid in refund["reason"]
    assert Decimal(refund["amount"]) == Decimal("19.80")
    # booked in the ERP all the same
    note = await e2e.erp.get_sale(wid)
    assert note.invoices[0].kind == "credit_note" and note.invoices[0].state == "posted"
    assert note.total == -Money.of("19.80", "USD") and waiting.credit_note
    # the pending action, in the CLI, the status and the Web UI's stage
    shown = cli_ok(e2e, "refund", "status", wid)
    assert field(shown, "stage") == "awaiting_manual_refund"
    assert f"wooerp refund money-sent {wid}" in field(shown, "pending_action")
    described = await e2e.client.get_workflow_handle(wid).describe()
    attrs = {p.key.name: p.value for p in described.typed_search_attributes}
    assert attrs[search.SAGA_STAGE.name] == "awaiting_manual_refund"

    # support closes it through the support API
    answer = httpx.post(f"{e2e.ingress_url}/support/refunds/{wid}/money-sent", timeout=40,
                        headers={"Authorization": f"Bearer {SUPPORT_TOKEN}"},
                        json={"by": "bob", "note": "SEPA transfer 2026-12-01"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["money_sent_by"] == "bob"
    done = await settle(e2e, wid, RefundSaga.status, ("completed",))
    assert done.pending_action is None and done.money_back == "by_hand"
    again = e2e.cli("refund", "money-sent", wid, "--by", "carol")
    assert again.returncode == 1 and "refused" in again.stderr
    assert [e.type for e in e2e.ledger.events_for(wid)] == [
        "RefundRequested", "RefundApproved", "ManualRefundRequired", "CreditNotePosted",
        "StockDisposed", "ManualRefundSent", "RefundCompleted"]
    assert len(store_refunds(shop, order["id"])) == 1
    await keep_history(e2e.client.get_workflow_handle(wid), "refund_money_by_hand")


async def test_a_line_refunded_without_its_tax_reaches_the_erp_as_refunded(e2e, shop):
    order = await closed_order(e2e, shop, {POSTER: 2})
    made = shop.api.post(f"orders/{order['id']}/refunds", {
        "api_refund": False, "reason": "kept the tax",
        "line_items": [{"id": line_id(order, POSTER), "quantity": 1, "refund_total": "9.99",
                        "refund_tax": []}]}).json()
    assert made["amount"] == "9.99", made
    wid = refund_workflow_id(STORE, order["id"], made["id"])
    await started(e2e, wid)  # by the order.updated webhook
    done = await settle(e2e, wid, RefundSaga.status, ("completed", "needs_attention"))
    assert done.stage == "completed", done.last_error
    note = await e2e.erp.get_sale(wid)
    assert note.invoices[0].state == "posted" and note.invoices[0].total == -Money.of("9.99", "USD")
    [variance] = [e for e in e2e.ledger.events_for(wid) if e.type == "RefundTaxVariance"]
    payload = variance.payload
    assert payload["tax_kept"] == {"amount": "1.00", "currency": "USD"}
    assert payload["booked_difference"] == {"amount": "0.00", "currency": "USD"}
    assert payload["skus"] == [POSTER] and payload["credit_note"] == done.credit_note
    await keep_history(e2e.client.get_workflow_handle(wid), "refund_kept_tax")
