"""`wooerp backfill` on the real stack: historical orders made in the sandbox
store in the past (its admin clock), paged by the real worker, handed to
real sagas that book in the real Tryton.

The store's webhooks are paused while history is made, as it was made
before wooerp was installed: only the backfill can bring it in.
"""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from datetime import date, datetime

import pytest

from sandbox.store.history import in_the_past, make_history
from systems.woocommerce import mapping
from tests.e2e.shop import MUG, POSTER, Shop
from tests.e2e.stack import STORE, WOOERP, E2EStack
from workflows.backfill import BackfillWorkflow
from workflows.backfill_types import BackfillProgress
from workflows.order_saga import OrderSaga
from workflows.order_types import erp_reference
from workflows.refund_saga import RefundSaga
from workflows.refund_types import refund_workflow_id

# 1,000 orders over ten days of March 2019, in the final states a store keeps: a year
# no other test of the session store writes orders in (they would be counted).
BIG_FROM, BIG_TO = "2019-03-01", "2019-03-10"


def history(store, when: datetime):
    """The store's clock at `when`, its webhooks paused: orders made now are
    history wooerp never heard of."""
    return in_the_past(store.api(), store.url, when)


def cli_json(e2e: E2EStack, *args: str) -> str:
    done = e2e.cli(*args)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


async def progress(e2e: E2EStack, wid: str) -> BackfillProgress:
    return await e2e.client.get_workflow_handle(wid).query(BackfillWorkflow.progress)


async def finished(e2e: E2EStack, wid: str, timeout: float = 240) -> BackfillProgress:
    handle = e2e.client.get_workflow_handle(wid, result_type=BackfillProgress)
    return await asyncio.wait_for(handle.result(), timeout)


async def until(e2e: E2EStack, wid: str, check, timeout: float = 120) -> BackfillProgress:
    async def loop() -> BackfillProgress:
        while True:
            try:
                p = await progress(e2e, wid)
                if check(p):
                    return p
            except Exception:  # noqa: BLE001 - no worker for a moment (killed on purpose)
                pass
            await asyncio.sleep(0.2)
    return await asyncio.wait_for(loop(), timeout)


async def refund_settled(e2e: E2EStack, wid: str, timeout: float = 120):
    """The refund saga's status once it completed or parked."""
    last = None
    for _ in range(int(timeout / 0.5)):
        try:
            last = await e2e.client.get_workflow_handle(wid).query(RefundSaga.status)
        except Exception:  # noqa: BLE001 - not started yet
            pass
        if last is not None and last.stage in ("completed", "needs_attention"):
            return last
        await asyncio.sleep(0.5)
    raise AssertionError(f"{wid} never settled: {last}")


@pytest.fixture(scope="module")
def big_history(e2e, shop: Shop) -> dict[str, list[int]]:
    """1,000 orders, 100 a day, created in batches; the refunded ones were paid
    first (WooCommerce keeps their date_paid)."""
    return make_history(e2e.store.api(), e2e.store.url, date.fromisoformat(BIG_FROM),
                        date.fromisoformat(BIG_TO), 100, [MUG])


async def other_connectors_sale(e2e: E2EStack, shop: Shop, woo_id: int) -> int:
    """The ERP sale a previous connector made for a store order: the order
    number as its reference, no wooerp reference."""
    order = mapping.order_from_woo(shop.api.get(f"orders/{woo_id}").json(), store=STORE)
    made = await e2e.erp.create_sale(order, f"other-connector:{woo_id}")
    await e2e.erp.rpc.write("sale.sale", [made.erp_id], {"wooerp_ref": None})
    return made.erp_id


async def test_link_mode_pages_1000_historical_orders_and_a_second_start_attaches(
        e2e, shop, big_history):
    migrated = big_history["completed"][3:5]
    made = [await other_connectors_sale(e2e, shop, woo_id) for woo_id in migrated]
    out = cli_json(e2e, "backfill", "start", STORE, "--from", BIG_FROM, "--to", BIG_TO,
                   "--mode", "link", "--rate", "50/s", "--no-follow")
    wid = f"backfill:{STORE}:{BIG_FROM}:{BIG_TO}"
    assert f"started {wid}" in out
    again = cli_json(e2e, "backfill", "start", STORE, "--from", BIG_FROM, "--to", BIG_TO,
                     "--mode", "link", "--no-follow")
    assert f"attached to {wid}" in again or f"{wid} has finished already" in again
    done = await finished(e2e, wid)
    paid = len(big_history["completed"]) + len(big_history["refunded"])
    unpaid = len(big_history["cancelled"]) + len(big_history["failed"])
    assert (done.phase, done.seen, done.unpaid, done.quarantined) == ("done", 1000, unpaid, 0)
    # Only the migrated orders are in the ERP, and link mode creates nothing:
    # their sales got the wooerp reference, every other paid order is listed
    # as not found, no saga was started.
    assert (done.linked, done.not_linked, done.started, done.known) == (2, paid - 2, 0, 0)
    assert set(done.not_linked_ids) <= set(big_history["completed"] + big_history["refunded"])
    assert not set(done.not_linked_ids) & set(migrated)
    assert [(await e2e.erp.get_sale(erp_reference(STORE, woo_id))).erp_id
            for woo_id in migrated] == made
    assert not await e2e.saga_exists(big_history["completed"][0])
    third = cli_json(e2e, "backfill", "start", STORE, "--from", BIG_FROM, "--to", BIG_TO,
                     "--mode", "link", "--no-follow")
    assert f"{wid} has finished already" in third and "1000 orders seen" in third
    runs = [w async for w in e2e.client.list_workflows(f'WorkflowId = "{wid}"')]
    assert len({r.run_id for r in runs}) >= 1
    assert len([r for r in runs if r.status is not None and r.status.name == "RUNNING"]) == 0


async def test_a_429_storm_slows_the_backfill_down_and_it_completes(e2e, big_history):
    # A storm on the listing only, longer than a few pages at this rate.
    with e2e.store.faults(rest_429_storm_seconds=4, retry_after=1, rest_path=r"^orders$",
                          rest_methods=["GET"]):
        cli_json(e2e, "backfill", "start", STORE, "--from", BIG_FROM, "--to", "2019-03-02",
                 "--mode", "link", "--rate", "20/s", "--no-follow")
        done = await finished(e2e, f"backfill:{STORE}:{BIG_FROM}:2019-03-02")
    assert done.phase == "done" and done.seen == 200
    assert done.throttled_seconds >= 1  # it waited out Retry-After instead of failing


def place_history(e2e: E2EStack, shop: Shop, when: datetime) -> dict[str, list[int]]:
    """A small mixed history on one day: what each final state books."""
    kinds: dict[str, list[int]] = {"completed": [], "refunded": [], "unpaid": [], "bad": []}
    with history(e2e.store, when):
        for _ in range(4):
            o = shop.place_order({MUG: 1})
            shop.update(o["id"], status="completed")
            kinds["completed"].append(o["id"])
        for _ in range(2):  # paid, shipped, then refunded in full in the store
            o = shop.place_order({POSTER: 1})
            shop.update(o["id"], status="completed")
            shop.api.post(f"orders/{o['id']}/refunds", {"amount": o["total"],
                                                       "reason": "returned",
                                                       "api_refund": False})
            kinds["refunded"].append(o["id"])
        for status in ("cancelled", "failed"):
            o = shop.place_order({MUG: 1}, set_paid=False)
            shop.update(o["id"], status=status)
            kinds["unpaid"].append(o["id"])
        o = shop.place_order({MUG: 1})
        shop.update(o["id"], status="completed")
        # A payload that does not map (a plugin wrote junk into the currency).
        e2e.store.admin("POST", f"orders/{o['id']}/edit", {"raw": {"currency": "dollars"}})
        kinds["bad"].append(o["id"])
    return kinds


async def test_book_mode_books_each_paid_order_once_and_reports_the_rest(e2e, shop):
    kinds = place_history(e2e, shop, datetime(2019, 6, 1, 9))
    wid = f"backfill:{STORE}:2019-06-01:2019-06-01"
    out = e2e.cli("backfill", "start", STORE, "--from", "2019-06-01", "--to", "2019-06-01",
                  "--window", "3", "--rate", "20/s")  # follows with the progress bar
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"started {wid}" in out.stdout and "done" in out.stdout
    done = await progress(e2e, wid)
    paid = kinds["completed"] + kinds["refunded"]
    assert (done.seen, done.started, done.booked) == (9, len(paid), len(paid))
    assert sorted(done.unpaid_ids) == sorted(kinds["unpaid"])
    assert [q.woo_id for q in done.quarantine] == kinds["bad"]
    assert f"quarantined {kinds['bad'][0]}" in out.stdout
    for oid in paid:
        assert len(await e2e.erp_sale_ids(oid)) == 1
        status = await e2e.handle(oid).query(OrderSaga.status)
        # Shipped years ago: the saga records it and waits for the invoice only.
        assert "ShipmentConfirmed" in status.events, status
        assert not any("Booked in the ERP" in n for n in shop.notes(oid))  # no write-back
    for oid in kinds["unpaid"] + kinds["bad"]:
        assert not await e2e.saga_exists(oid)
    for oid in kinds["refunded"]:  # the store's refund becomes a credit note
        refund_id = shop.api.get(f"orders/{oid}/refunds").json()[0]["id"]
        rid = refund_workflow_id(STORE, oid, refund_id)
        end = await refund_settled(e2e, rid)
        assert end.stage == "completed", end
        note = await e2e.erp.get_sale(rid)
        assert note is not None and note.invoices[0].state == "posted", end


async def test_a_worker_killed_mid_backfill_resumes_from_its_cursor(e2e, shop):
    kinds = place_history(e2e, shop, datetime(2019, 7, 1, 9))
    paid = kinds["completed"] + kinds["refunded"]
    wid = f"backfill:{STORE}:2019-07-01:2019-07-01"
    # Two orders a call, a call every two seconds: the kill lands mid-way.
    cli_json(e2e, "backfill", "start", STORE, "--from", "2019-07-01", "--to", "2019-07-01",
             "--window", "2", "--rate", "30/m", "--no-follow")
    await until(e2e, wid, lambda p: p.started >= 2)
    # Ctrl-C in `status --follow` ends the display, not the backfill.
    watcher = subprocess.Popen([str(WOOERP), "backfill", "status", wid, "--follow"],
                               env={**os.environ, **e2e.env, "COLUMNS": "200"},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert watcher.stdout is not None
    first = await asyncio.wait_for(asyncio.to_thread(watcher.stdout.readline), 60)
    assert first.startswith(f"following {wid}"), first
    watcher.send_signal(signal.SIGINT)
    shown, _ = await asyncio.to_thread(watcher.communicate, timeout=30)
    assert watcher.returncode == 0 and "display stopped; the backfill goes on" in shown, shown
    assert (await progress(e2e, wid)).phase == "paging"
    e2e.kill_worker()
    await e2e.start_worker()
    paused = cli_json(e2e, "backfill", "pause", wid)
    assert "(paused)" in paused
    assert e2e.cli("backfill", "pause", wid).returncode != 0  # refused: paused already
    cli_json(e2e, "backfill", "resume", wid)
    done = await finished(e2e, wid)
    assert done.phase == "done" and done.started + done.known >= len(paid)
    for oid in paid:  # the order handed over again after the kill has one sale
        assert len(await e2e.erp_sale_ids(oid)) == 1, oid
    status = cli_json(e2e, "backfill", "status", wid)
    assert "done" in status and f"{len(paid)} booked" in status
