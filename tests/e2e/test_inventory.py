"""Inventory sync on the real pieces: Tryton notifying the ingress after
commit (wooerp_link), the worker's InventorySync pushing to the sandbox
store, Temporal in between.

Nothing polls here: the worker's full comparison runs once at its start
and then hourly, so whatever the store learns during a test it learns from
a notification (or from `wooerp inventory sync --full`, where a test says
so). The store's own request log counts the calls the sync makes.
"""
from __future__ import annotations

import asyncio
import os
import random
import secrets
import signal
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

import pytest
from temporalio.api.enums.v1 import PendingActivityState

from activities import refs
from tests.e2e.erp_admin import adjust, create_stocked_products
from tests.e2e.shop import Shop
from tests.e2e.stack import STORE, E2EStack
from workflows.inventory import InventorySync
from workflows.inventory_types import Changed, InventoryStatus, inventory_workflow_id

PRICE = Decimal("4.00")
LAG = 30.0  # seconds a test waits for the store to show a change (never asserted as a time)


@pytest.fixture(scope="module")
async def notifying(e2e: E2EStack) -> AsyncIterator[E2EStack]:
    """Tryton's wooerp_link notifications on, to the e2e ingress, with a
    shared secret both know (the ERP from a file, the ingress from settings)."""
    secret = secrets.token_urlsafe(24)
    secret_file = e2e.data_dir / "erp-notify.secret"
    secret_file.write_text(secret)
    secret_file.chmod(0o600)
    server = e2e.tryton.server
    e2e.env["WOOERP_ERP__NOTIFY_SECRET"] = secret
    await e2e.restart_ingress()
    server.notify = {"url": f"{e2e.ingress_url}/webhooks/erp/tryton",
                     "secret_file": str(secret_file), "timeout": "3", "attempts": "3"}
    await e2e.stop_erp()
    await e2e.start_erp()
    try:
        await status(e2e)  # the worker started the sync
        yield e2e
    finally:
        server.notify = {}
        await e2e.stop_erp()
        await e2e.start_erp()
        del e2e.env["WOOERP_ERP__NOTIFY_SECRET"]
        await e2e.restart_ingress()


async def status(e2e: E2EStack, timeout: float = 60) -> InventoryStatus:
    handle = e2e.client.get_workflow_handle(inventory_workflow_id(STORE))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            return await handle.query(InventorySync.status, rpc_timeout=timedelta(seconds=5))
        except Exception:
            if loop.time() > deadline:
                raise
            await asyncio.sleep(0.5)


async def until(check, timeout: float = LAG, what: str = "condition"):
    loop = asyncio.get_running_loop()
    deadline, last = loop.time() + timeout, None
    while loop.time() < deadline:
        last = await asyncio.to_thread(check) if not asyncio.iscoroutinefunction(check) \
            else await check()
        if last:
            return last
        await asyncio.sleep(0.3)
    raise AssertionError(f"{what} not reached; last seen {last!r}")


async def new_skus(e2e: E2EStack, count: int, stock: int) -> dict[str, int]:
    """`count` fresh SKUs with `stock` units on both sides: sku -> ERP product id."""
    tag = uuid.uuid4().hex[:6].upper()
    skus = [f"INV-{tag}-{n:03d}" for n in range(count)]
    api = e2e.store.api()
    for start in range(0, count, 100):
        resp = api.post("products/batch", {"create": [
            {"name": sku, "sku": sku, "regular_price": str(PRICE), "manage_stock": True,
             "stock_quantity": stock} for sku in skus[start:start + 100]]})
        assert resp.status_code == 200, resp.text
    ids = await create_stocked_products(e2e.erp.rpc, skus, PRICE, stock)
    await quiet(e2e)  # the products' own creation (a stock event) is handled first
    return ids


async def quiet(e2e: E2EStack) -> InventoryStatus:
    """Until the sync has nothing left to do: every notification so far handled."""
    last = None
    for _ in range(int(LAG / 1.5)):
        now = await status(e2e)
        if (last is not None and not now.pending and not now.rechecks
                and now.rounds == last.rounds):
            return now
        last = now
        await asyncio.sleep(1.5)
    raise AssertionError(f"the inventory sync never went quiet: {last}")


def store_stock(e2e: E2EStack, skus: list[str]) -> dict[str, int | None]:
    rows = e2e.store.admin("GET", "stock")
    return {r["sku"]: r["stock_quantity"] for r in rows if r["sku"] in skus}


def adjustments(e2e: E2EStack, sku: str) -> list[dict]:
    return [e.payload for e in e2e.ledger.events_for(inventory_workflow_id(STORE))
            if e.payload.get("sku") == sku]


async def test_a_stock_receipt_in_tryton_reaches_the_store_without_a_poll(notifying: E2EStack):
    e2e = notifying
    skus = await new_skus(e2e, 1, stock=10)
    [(sku, product)] = skus.items()
    before = await quiet(e2e)

    await adjust(e2e.erp.rpc, {product: 7})  # a delivery of 7 booked in the warehouse

    await until(lambda: store_stock(e2e, [sku])[sku] == 17, what=f"{sku} at 17 in the store")
    after = await status(e2e)
    assert after.full_runs == before.full_runs  # no full comparison: the notification did it
    [adjusted] = adjustments(e2e, sku)
    assert (adjusted["before"], adjusted["quantity"], adjusted["reason"]) == (10, 17, "event")


async def test_a_store_order_in_flight_keeps_the_store_s_own_decrement(notifying: E2EStack,
                                                                       shop: Shop):
    e2e = notifying
    [(sku, product)] = (await new_skus(e2e, 1, stock=10)).items()
    # A line the ERP does not know parks the order before the ERP books it:
    # the store took 3 units off its shelf, the ERP reserved none.
    unknown = f"INV-NOERP-{uuid.uuid4().hex[:6].upper()}"
    shop.create_product(unknown, PRICE, stock=5)
    placed = shop.place_order({sku: 3, unknown: 1})
    await e2e.wait_stage(placed["id"], "needs_attention")
    # A round may have read the ERP before the saga held the 3: after the
    # lag the store shows the 7 it has left, whatever that round pushed.
    await until(lambda: store_stock(e2e, [sku])[sku] == 7, what="the store's own 7")

    await adjust(e2e.erp.rpc, {product: 2})  # the ERP now has 12, 3 of them sold in the store

    await until(lambda: store_stock(e2e, [sku])[sku] == 9, what="12 - 3 in the store")
    await asyncio.sleep(6)  # past the second look: it stays at 9, never the ERP's 12
    assert store_stock(e2e, [sku])[sku] == 9
    assert adjustments(e2e, sku)[-1]["quantity"] == 9
    assert 12 not in [a["quantity"] for a in adjustments(e2e, sku)]

    shop.update(placed["id"], status="cancelled")  # the store puts the 3 back
    await e2e.wait_stage(placed["id"], "cancelled")
    await until(lambda: store_stock(e2e, [sku])[sku] == 12, what="the 3 units back")
    assert (await e2e.erp.available_stock([sku]))[sku] == 12  # nothing held any more


async def test_an_erp_shipment_does_not_decrement_the_store_twice(notifying: E2EStack,
                                                                   shop: Shop):
    e2e = notifying
    [(sku, _)] = (await new_skus(e2e, 1, stock=10)).items()
    placed = shop.place_order({sku: 2})
    await e2e.wait_stage(placed["id"], "awaiting_shipment")
    await until(lambda: store_stock(e2e, [sku])[sku] == 8, what="the store's own 8")
    await quiet(e2e)
    rounds = (await status(e2e)).rounds
    pushed = adjustments(e2e, sku)  # none, or a race repaired by the second look

    closed = await e2e.ship(placed["id"])

    assert closed.stage == "closed"
    # The shipment's stock moves were notified and compared: nothing to push.
    loop = asyncio.get_running_loop()
    deadline = loop.time() + LAG
    while (await status(e2e)).rounds <= rounds and loop.time() < deadline:
        await asyncio.sleep(0.3)
    assert (await status(e2e)).rounds > rounds
    assert store_stock(e2e, [sku])[sku] == 8
    assert adjustments(e2e, sku) == pushed  # the shipment pushed nothing
    available = await e2e.erp.available_stock([sku])
    assert available[sku] == 8


async def test_a_thousand_changes_on_fifty_skus_take_a_handful_of_batch_calls(
        notifying: E2EStack):
    e2e = notifying
    skus = await new_skus(e2e, 50, stock=100)
    ids = list(skus.values())
    rng = random.Random(13)
    expected = {sku: 100 for sku in skus}
    by_id = {v: k for k, v in skus.items()}
    # 40 warehouse counts, 25 products each: 1,000 stock moves, in two
    # streams that never touch the same product at once.
    plans: list[list[dict[int, int]]] = [[], []]
    for n in range(40):
        half = ids[:25] if n % 2 == 0 else ids[25:]
        deltas = {p: rng.choice([-3, -2, -1, 1, 2, 3, 4]) for p in half}
        for p, d in deltas.items():
            expected[by_id[p]] += d
        plans[n % 2].append(deltas)
    mark = e2e.store.requests()["last"]

    async def stream(counts: list[dict[int, int]]) -> None:
        for deltas in counts:
            await adjust(e2e.erp.rpc, deltas)
    await asyncio.gather(*(stream(p) for p in plans))

    await until(lambda: store_stock(e2e, list(skus)) == expected, timeout=90,
                what="every SKU at its final number")
    calls = [c for c in e2e.store.requests(mark)["requests"]]
    batches = [c for c in calls if c["path"] == "products/batch" and c["method"] == "POST"]
    assert 1 <= len(batches) <= 40  # one per round, not one per change
    assert len(calls) <= 100  # reads and writes together, for 1,000 changes
    assert {c["status"] for c in batches} == {200}


async def test_notifications_lost_while_the_ingress_is_down_are_repaired_by_the_full_comparison(
        notifying: E2EStack):
    e2e = notifying
    [(sku, product)] = (await new_skus(e2e, 1, stock=10)).items()
    await quiet(e2e)  # the product's own creation is handled before the ingress goes
    assert e2e.ingress is not None
    await e2e.ingress.stop()
    try:
        await adjust(e2e.erp.rpc, {product: 5})  # Tryton notifies, nobody answers
        await asyncio.sleep(8)  # its sender tries 3 times, then drops the event
    finally:
        await e2e.restart_ingress()
    await asyncio.sleep(3)
    assert store_stock(e2e, [sku])[sku] == 10  # the change is lost for now
    full_before = (await status(e2e)).full_runs

    done = await asyncio.to_thread(e2e.cli, "inventory", "sync", STORE, "--full")

    assert done.returncode == 0, done.stderr
    assert store_stock(e2e, [sku])[sku] == 15
    after = await status(e2e)
    assert after.full_runs == full_before + 1 and after.repaired_by_full >= 1
    assert [(a["quantity"], a["reason"]) for a in adjustments(e2e, sku)] == [(15, "full")]
    shown = e2e.cli("inventory", "status", STORE)
    assert shown.returncode == 0, shown.stderr
    assert "full comparisons" in shown.stdout


async def test_a_flash_sale_never_leaves_the_store_showing_more_than_the_erp_can_sell(
        notifying: E2EStack, shop: Shop):
    e2e = notifying
    [(sku, product)] = (await new_skus(e2e, 1, stock=5)).items()
    pool = ThreadPoolExecutor(8)
    loop = asyncio.get_running_loop()
    checkouts = [loop.run_in_executor(pool, shop.place_order, {sku: 1}) for _ in range(8)]

    async def warehouse() -> None:
        for delta in (2, -1, 3, -2):
            await adjust(e2e.erp.rpc, {product: delta})
            await asyncio.sleep(0.5)
    placed, _ = await asyncio.gather(asyncio.gather(*checkouts), warehouse())
    pool.shutdown()
    for order in placed:  # every order booked, or parked for want of stock
        await e2e.wait_stage(order["id"], "awaiting_shipment", "needs_attention", timeout=90)

    async def settled():
        held = 0
        for order in placed:
            st = await e2e.status(order["id"])
            if st is not None and st.erp_document is None:
                held += 1
        can_sell = max(0, int((await e2e.erp.available_stock([sku]))[sku]) - held)
        shown = store_stock(e2e, [sku])[sku]
        return (shown, can_sell) if shown == can_sell else None
    shown, can_sell = await until(settled, timeout=60, what="store at what the ERP can sell")
    # After the lag it stays there: a few more looks, never above.
    for _ in range(5):
        await asyncio.sleep(1)
        assert store_stock(e2e, [sku])[sku] <= can_sell


async def test_status_reports_what_cannot_be_synced_and_sync_sku_looks_at_one(
        notifying: E2EStack, shop: Shop):
    e2e = notifying
    tag = uuid.uuid4().hex[:6].upper()
    unmanaged, store_only = f"INV-UNMANAGED-{tag}", f"INV-STOREONLY-{tag}"
    e2e.store.api().post("products", {"name": unmanaged, "sku": unmanaged,
                                      "regular_price": "4.00", "manage_stock": False})
    await create_stocked_products(e2e.erp.rpc, [unmanaged], PRICE, 6)
    shop.create_product(store_only, PRICE, stock=3)

    done = await asyncio.to_thread(e2e.cli, "inventory", "sync", STORE, "--sku", unmanaged,
                                   "--sku", store_only)

    assert done.returncode == 0, done.stderr
    shown = e2e.cli("inventory", "status", STORE)
    assert shown.returncode == 0, shown.stderr
    rows = {line.split("│")[1].strip(): line for line in shown.stdout.splitlines()
            if line.count("│") >= 3 and tag in line}
    assert "not_managed" in rows[unmanaged] and "not_in_erp" in rows[store_only]
    problems = {p.sku: p.kind for p in (await status(e2e)).problems}
    assert problems[unmanaged] == "not_managed" and problems[store_only] == "not_in_erp"
    assert store_stock(e2e, [unmanaged, store_only]) == {unmanaged: None, store_only: 3}


async def _erp_read_running(e2e: E2EStack) -> bool:
    described = await e2e.client.get_workflow_handle(inventory_workflow_id(STORE)).describe()
    return any(a.activity_type.name == refs.INVENTORY_ERP_AVAILABLE.name
               and a.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
               for a in described.raw_description.pending_activities)


async def test_a_worker_killed_in_the_middle_of_a_round_holds_the_sync_up_seconds_not_minutes(
        notifying: E2EStack):
    """The round's ERP read is caught on a worker that dies (the ERP frozen
    so the call is surely in flight). It heartbeats, so Temporal hands it to
    the next worker once its heartbeat stops; without, the round would wait
    out the call's 120 s start-to-close and every change behind it too."""
    e2e = notifying
    [(sku, product)] = (await new_skus(e2e, 1, stock=10)).items()
    tryton = e2e.tryton.server.process
    assert tryton is not None and tryton.poll() is None
    os.kill(tryton.pid, signal.SIGSTOP)
    try:
        await e2e.client.get_workflow_handle(inventory_workflow_id(STORE)).signal(
            InventorySync.changed, Changed(skus=[sku]))
        async def in_flight() -> bool:
            return await _erp_read_running(e2e)
        await until(in_flight, what="the round's ERP read in flight")
        dead = e2e.worker
        e2e.kill_worker()
        await dead.stop()
    finally:
        os.kill(tryton.pid, signal.SIGCONT)
    await e2e.start_worker()

    await adjust(e2e.erp.rpc, {product: 7})

    await until(lambda: store_stock(e2e, [sku])[sku] == 17, timeout=75,
                what=f"{sku} at 17 in the store")
