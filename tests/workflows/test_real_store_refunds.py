"""What real stores do to refunds, as the RefundSaga decides it (fakes; the
real-pieces versions are in tests/e2e/test_real_store_refunds.py):

- gateways that cannot refund by themselves (bacs, cheque, cod) get the
  refund recorded in the store without the gateway, the credit note, and a
  "return the money by hand" action support closes;
- a gateway's refusal is never retried as it was;
- a refund that kept the tax of its goods is booked and its tax difference
  recorded as a variance.
"""
from __future__ import annotations

import asyncio

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest

from canonical.entities import Refund, RefundLine
from canonical.money import Money
from sandbox.fake_systems import FakeWorld, sample_order
from tests.workflows.saga_harness import fake_workers, wait_for
from workers.config.settings import Settings
from workers.sagas import support as svc
from workers.sagas.client import SagaClient
from workers.sagas.outcomes import Refused
from workflows.order_saga import OrderSaga
from workflows.order_types import OrderSagaInput, SagaPolicy
from workflows.refund_saga import RefundSaga
from workflows.refund_types import LineRequest, MoneySent, RefundPolicy, RefundSagaInput
from workflows import search

FAST = SagaPolicy(poll_initial_seconds=0.05, poll_max_seconds=0.2)


def new_id() -> int:
    return uuid.uuid4().int % 10**8


def usd(x) -> Money:
    return Money.of(x, "USD")


async def start_refund(client, queue, oid, key, **kw):
    inp = RefundSagaInput(store="default", woo_order_id=oid, key=key, origin="support",
                          requested_by="agent", **kw)
    return await client.start_workflow(RefundSaga.run, inp, id=f"refund:default:{oid}:{key}",
                                       task_queue=queue)


def sagas_of(client) -> SagaClient:
    """The saga client API the CLI and the support API call."""
    return SagaClient(client, Settings())


def event_types(world: FakeWorld, wid: str) -> list[str]:
    return [e.type for e in world.events if e.correlation_id == wid]


async def test_a_bacs_refund_is_recorded_without_the_gateway_and_waits_for_the_money(
        temporal_client):
    world = FakeWorld()
    oid = new_id()
    world.orders[oid] = sample_order(oid, payment_method="bacs")
    async with fake_workers(temporal_client, world) as queue:
        h = await start_refund(temporal_client, queue, oid, "m",
                               lines=[LineRequest(line_id=oid * 10, quantity=1)])
        await wait_for(h, RefundSaga.status, lambda s: s.stage == "awaiting_approval")
        with pytest.raises(Refused, match="cannot confirm yet"):
            await sagas_of(temporal_client).confirm_money_sent(h.id, "alice")
        await svc.approve_refund(temporal_client, h.id, "alice")
        waiting = await wait_for(h, RefundSaga.status,
                                 lambda s: s.stage == "awaiting_manual_refund")
        # never asked the gateway: bacs is on the policy's manual list
        assert world.refund_attempts == [(oid, False)]
        assert waiting.credit_note == "CN1" and waiting.money_back == "by_hand"
        assert "return 13.75 USD to the customer by hand (bacs)" in waiting.pending_action
        assert f"wooerp refund money-sent {h.id}" in waiting.pending_action
        attrs = {p.key.name: p.value for p in (await h.describe()).typed_search_attributes}
        assert attrs[search.SAGA_STAGE.name] == "awaiting_manual_refund"
        assert attrs[search.NEEDS_ATTENTION.name] is False  # waiting for a person, not stuck

        done = await sagas_of(temporal_client).confirm_money_sent(h.id, "bob", "transfer 4711")
        assert done.money_sent_by == "bob"
        result = await asyncio.wait_for(h.result(), 30)
        with pytest.raises(Refused, match="already ended"):
            await sagas_of(temporal_client).confirm_money_sent(h.id, "carol")
    assert result.stage == "completed" and result.pending_action is None
    assert event_types(world, h.id) == [
        "RefundRequested", "RefundApproved", "ManualRefundRequired", "CreditNotePosted",
        "StockDisposed", "ManualRefundSent", "RefundCompleted"]
    sent = next(e for e in world.events if e.type == "ManualRefundSent")
    assert (sent.sent_by, sent.note, sent.amount) == ("bob", "transfer 4711", usd("13.75"))
    required = next(e for e in world.events if e.type == "ManualRefundRequired")
    assert required.payment_method == "bacs" and "manual" in required.why
    [refund] = world.orders[oid].refunds
    assert refund.refunded_payment is False and "money returned by hand" in refund.reason


async def test_a_gateway_that_refuses_is_asked_once_then_the_refund_goes_by_hand(
        temporal_client):
    world = FakeWorld()
    oid = new_id()
    world.orders[oid] = sample_order(oid, payment_method="uninstalled_paypal")
    async with fake_workers(temporal_client, world) as queue:
        h = await start_refund(temporal_client, queue, oid, "r", amount=usd("5.00"),
                               policy=RefundPolicy(auto_approve_below=Decimal("10")))
        await wait_for(h, RefundSaga.status, lambda s: s.stage == "awaiting_manual_refund")
        await h.signal(RefundSaga.money_sent_signal, MoneySent(by="signal-only tool"))
        result = await asyncio.wait_for(h.result(), 30)
    assert world.refund_attempts == [(oid, True), (oid, False)]
    assert result.stage == "completed" and result.money_sent_by == "signal-only tool"
    required = next(e for e in world.events if e.type == "ManualRefundRequired")
    assert "does not exist" in required.why


async def test_a_refusal_under_the_park_policy_parks_and_is_not_retried(temporal_client):
    world = FakeWorld()
    oid = new_id()
    world.orders[oid] = sample_order(oid, payment_method="cheque")
    policy = RefundPolicy(auto_approve_below=Decimal("10"), manual_gateways=[],
                          on_gateway_refusal="park")
    async with fake_workers(temporal_client, world) as queue:
        h = await start_refund(temporal_client, queue, oid, "p", amount=usd("5.00"),
                               policy=policy)
        parked = await wait_for(h, RefundSaga.status, lambda s: s.stage == "needs_attention")
        assert parked.last_error.startswith("WooGatewayRefusedRefund: 500 "
                                            "woocommerce_rest_cannot_create_order_refund")
        # one attempt: Temporal's retry policy must not repeat a business refusal
        described = await h.describe()
        assert world.refund_attempts == [(oid, True)], described
        assert world.orders[oid].refunds == []
        await h.signal(RefundSaga.resolve, "refunded by cheque, outside wooerp")
        assert (await asyncio.wait_for(h.result(), 30)).stage == "resolved"


async def test_a_card_refund_has_no_money_to_confirm(temporal_client):
    world = FakeWorld()
    oid = new_id()
    world.orders[oid] = sample_order(oid, payment_method="stripe")
    async with fake_workers(temporal_client, world) as queue:
        h = await start_refund(temporal_client, queue, oid, "c", amount=usd("5.00"),
                               policy=RefundPolicy(auto_approve_below=Decimal("10")))
        result = await asyncio.wait_for(h.result(), 30)
        with pytest.raises(Refused, match="already ended"):
            await sagas_of(temporal_client).confirm_money_sent(h.id, "alice")
    assert result.stage == "completed" and result.money_back == "gateway"
    assert world.refund_attempts == [(oid, True)]
    assert "ManualRefundRequired" not in event_types(world, h.id)


async def test_unconfirmed_money_escalates_to_needs_attention(time_skipping_env):
    client = time_skipping_env.client
    world = FakeWorld()
    oid = new_id()
    world.orders[oid] = sample_order(oid, payment_method="cod")
    policy = RefundPolicy(auto_approve_below=Decimal("10"), escalate_after_seconds=3600)
    async with fake_workers(client, world) as queue:
        h = await start_refund(client, queue, oid, "e", amount=usd("5.00"), policy=policy)
        await wait_for(h, RefundSaga.status, lambda s: s.stage == "awaiting_manual_refund")
        await time_skipping_env.sleep(timedelta(hours=2))
        parked = await wait_for(h, RefundSaga.status, lambda s: s.stage == "needs_attention")
        assert "nobody confirmed it" in parked.last_error
        await sagas_of(client).confirm_money_sent(h.id, "alice")
        result = await asyncio.wait_for(h.result(), 30)
    assert result.stage == "completed" and result.last_error is None


async def test_a_refund_that_kept_its_tax_records_the_tax_variance(temporal_client):
    """Refunded in Woo admin: one mug of two, its 1.25 tax left with the store."""
    world = FakeWorld()
    oid = new_id()
    order = sample_order(oid)
    kept_tax = Refund(woo_id=5, order_woo_id=oid, amount=usd("12.50"), lines=[RefundLine(
        line_id=oid * 10, sku="WOO-MUG", quantity=1, amount=usd("12.50"), tax=usd("0"))])
    world.orders[oid] = order.model_copy(update={"refunds": [kept_tax]})
    async with fake_workers(temporal_client, world) as queue:
        h = await temporal_client.start_workflow(RefundSaga.run, RefundSagaInput(
            store="default", woo_order_id=oid, key="5", origin="woocommerce", woo_refund_id=5),
            id=f"refund:default:{oid}:5", task_queue=queue)
        result = await asyncio.wait_for(h.result(), 30)
    assert result.stage == "completed"
    [variance] = [e for e in world.events if e.type == "RefundTaxVariance"]
    assert (variance.charged_tax, variance.refunded_tax, variance.tax_kept) == (
        usd("1.25"), usd("0"), usd("1.25"))
    assert variance.skus == ["WOO-MUG"] and variance.credit_note == result.credit_note
    assert variance.booked_difference == usd("0")  # the ERP booked what the store refunded


async def test_a_refund_with_its_tax_records_no_variance(temporal_client):
    world = FakeWorld()
    oid = new_id()
    async with fake_workers(temporal_client, world) as queue:
        h = await start_refund(temporal_client, queue, oid, "t",
                               lines=[LineRequest(line_id=oid * 10, quantity=1)], preapproved=True)
        await asyncio.wait_for(h.result(), 30)
    assert "RefundTaxVariance" not in event_types(world, h.id)


async def test_the_status_after_completing_the_order_is_the_stores_answer(temporal_client):
    world = FakeWorld()
    oid = new_id()
    async with fake_workers(temporal_client, world) as queue:
        h = await temporal_client.start_workflow(
            OrderSaga.run, OrderSagaInput(store="default", woo_order_id=oid, policy=FAST),
            id=f"order:default:{oid}", task_queue=queue, start_signal="woo_order_updated",
            start_signal_args=[sample_order(oid)])
        result = await asyncio.wait_for(h.result(), 30)
    assert result.stage == "closed" and result.woo_status == "completed"
