"""Reconciliation on the real pieces: the sandbox store, the ingress and the
worker as processes, Temporal, Tryton. A clean day explains to 0.00; then
every drift injected (a lost webhook, a sale edited in Tryton, an order
edited in the store with no webhook, a permanent delete, an ERP rounding
cent, a sale nobody ordered) shows up under its own cause in the first run
after it, and the lost order reaches the ERP by itself."""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from systems.woocommerce.webhook_setup import ensure_webhooks
from tests.e2e.erp_console import set_unit_price
from tests.e2e.reconcile_stack import CODE, ReconcileStack, new_stack
from tests.e2e.shop import MUG, POSTER, TSHIRT, Shop
from tests.fixtures.erp import make_order
from tests.fixtures.store import WOOERP
from workers.sagas.reconcile import schedule_id
from workflows.order_types import erp_reference
from workflows.reconcile import ReconcileWorkflow
from workflows.reconcile_types import ReconcileResult

TODAY = datetime.now(timezone.utc).date()
SPAN = ("--from", str(TODAY - timedelta(days=1)), "--to", str(TODAY))  # near midnight too


@pytest.fixture(scope="module")
async def stack(temporal_server, temporal_client, tryton_server, erp, tmp_path_factory):
    s = new_stack(tmp_path_factory.mktemp("reconcile"), temporal_server.address,
                  temporal_client, tryton_server, erp)
    try:
        await s.start_ingress()
        await s.start_worker()
        ensure_webhooks(s.store.client(), s.webhook_url, s.webhook_secret)
        yield s
    finally:
        for kind in ("interval", "daily"):
            try:
                await temporal_client.get_schedule_handle(schedule_id(CODE, kind)).delete()
            except Exception:  # noqa: BLE001 (not made by this run)
                pass
        await s.stop()
        s.ledger.close()
        s.store.stop()


@pytest.fixture(scope="module")
def shop(stack: ReconcileStack) -> Shop:
    return Shop(stack.store)


def reconcile(stack: ReconcileStack) -> list[dict]:
    """`wooerp reconcile run` as an operator types it, then the report as finance reads it."""
    ran = stack.cli("reconcile", "run", CODE, *SPAN)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "compared" in ran.stdout and "unexplained" in ran.stdout, ran.stdout
    report = stack.cli("report", "variance", CODE, *SPAN, "--format", "json")
    assert report.returncode == 0, report.stderr
    return json.loads(report.stdout)


def variances(days: list[dict], order_id: int) -> list[dict]:
    return [v for d in days for v in d["variances"] if v["woo_order_id"] == order_id]


async def accepted(stack: ReconcileStack, *orders: dict) -> None:
    await asyncio.gather(*(stack.wait_stage(o["id"], "awaiting_shipment", timeout=120)
                           for o in orders))


@pytest.fixture(scope="module")
async def clean_day(stack: ReconcileStack, shop: Shop) -> list[dict]:
    orders = [shop.place_order({TSHIRT: 1}), shop.place_order({POSTER: 7}, shipping=None)]
    await accepted(stack, *orders)
    return reconcile(stack)


@pytest.fixture(scope="module")
async def drifted(stack: ReconcileStack, shop: Shop, clean_day, erp) -> dict:
    placed = {"erp_edit": shop.place_order({TSHIRT: 2}),
              "store_edit": shop.place_order({MUG: 1}),
              "deleted": shop.place_order({TSHIRT: 1}),
              # The store rounds tax per line (1.25 + 0.015 -> 1.25 + 0.02), Tryton per
              # document (1.265 -> 1.26): one cent apart, for good.
              "rounding": shop.place_order({MUG: 1}, shipping="0.15")}
    await accepted(stack, *placed.values())
    with stack.store.faults(webhook_drop_rate=1.0):
        placed["lost"] = shop.place_order({TSHIRT: 1})
        line = placed["store_edit"]["line_items"][0]["id"]
        shop.update(placed["store_edit"]["id"], line_items=[{"id": line, "quantity": 2}])
        stack.store.drain_webhooks()
    assert not await stack.saga_exists(placed["lost"]["id"])  # no delivery, no saga
    shop.api.delete(f"orders/{placed['deleted']['id']}", params={"force": True})
    new_total = await asyncio.to_thread(set_unit_price, stack.tryton,
                                        erp_reference(CODE, placed["erp_edit"]["id"]),
                                        Decimal("20.00"))
    assert new_total != Decimal(placed["erp_edit"]["total"])
    nobody = make_order([("WOO-MUG", 1, "12.50")], woo_id=990001)
    await erp.create_sale(nobody, erp_reference(CODE, 990001))
    return {"orders": placed, "days": reconcile(stack)}


async def test_a_clean_day_has_nothing_unexplained(clean_day):
    [day] = clean_day
    assert Decimal(day["difference"]["amount"]) == 0
    assert day["variances"] == []
    assert day["orders_compared"] == 2
    assert day["states"]["accepted"]["erp"]["count"] == 2
    assert day["states"]["captured"]["commerce"]["count"] == 2


def only_cause(drifted: dict, name: str) -> list[dict]:
    found = variances(drifted["days"], drifted["orders"][name]["id"])
    assert found, f"no variance for the {name} order: {drifted['days']}"
    return found


async def test_a_lost_webhook_is_recovered_and_the_order_reaches_the_erp(stack, drifted):
    [v] = only_cause(drifted, "lost")
    assert (v["cause"], v["component"]) == ("recovered", "order")
    assert v["workflow_id"] == f"order:{CODE}:{drifted['orders']['lost']['id']}"
    status = await stack.wait_stage(drifted["orders"]["lost"]["id"], "awaiting_shipment",
                                    timeout=120)
    assert status.erp_document
    assert len(await stack.erp_sale_ids(drifted["orders"]["lost"]["id"])) == 1


async def test_a_line_edited_in_tryton_is_edited_in_the_erp(drifted):
    found = only_cause(drifted, "erp_edit")
    assert {v["cause"] for v in found} == {"edited_in_erp"}
    assert {v["component"] for v in found} >= {"items", "tax"}
    assert "when the ERP accepted it" in found[0]["evidence"]


async def test_an_order_edited_without_a_webhook_is_edited_in_the_store(drifted):
    found = only_cause(drifted, "store_edit")
    assert {v["cause"] for v in found} == {"edited_in_store"}
    assert sum(Decimal(v["difference"]["amount"]) for v in found) == Decimal("13.75")


async def test_a_permanently_deleted_order_is_deleted_in_the_store(drifted):
    [v] = only_cause(drifted, "deleted")
    assert (v["cause"], v["component"]) == ("deleted_in_store", "order")
    assert Decimal(v["difference"]["amount"]) == -Decimal(drifted["orders"]["deleted"]["total"])


async def test_the_erps_own_rounding_is_rounding(drifted):
    [v] = only_cause(drifted, "rounding")
    assert (v["cause"], v["component"], v["difference"]["amount"]) == (
        "rounding", "tax", "0.01")
    assert "per line" in v["evidence"]


async def test_a_sale_nobody_ordered_is_an_erp_document_without_a_store_order(drifted):
    [v] = variances(drifted["days"], 990001)
    assert v["cause"] == "erp_without_store_order"


async def test_the_drifted_day_adds_up_and_leaves_nothing_unexplained(drifted):
    for day in drifted["days"]:
        total = sum(Decimal(v["difference"]["amount"]) for v in day["variances"])
        assert total == Decimal(day["difference"]["amount"])
        assert not [v for v in day["variances"] if v["cause"] == "unexplained"], day


async def test_the_schedule_exists_and_fires(stack: ReconcileStack, drifted):
    before = len(stack.ledger.reconcile_runs(CODE))
    made = stack.cli("reconcile", "schedule", CODE, "--every", "15m", "--trigger")
    assert made.returncode == 0, made.stdout + made.stderr
    assert schedule_id(CODE, "interval") in made.stdout and "0:15:00" in made.stdout
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 90
    while True:
        runs = stack.ledger.reconcile_runs(CODE)
        if len(runs) > before and runs[0].status == "completed":
            break
        assert loop.time() < deadline, f"the triggered tick never completed a run: {runs[:2]}"
        await asyncio.sleep(0.5)
    assert runs[0].workflow_id.startswith(f"reconcile:{CODE}:")
    listed = stack.cli("reconcile", "schedules", CODE)
    assert schedule_id(CODE, "interval") in listed.stdout


async def test_a_run_whose_worker_is_killed_resumes_without_a_second_saga(
        stack: ReconcileStack, shop: Shop, drifted, temporal_client):
    with stack.store.faults(webhook_drop_rate=1.0):
        lost = [shop.place_order({TSHIRT: 1}) for _ in range(2)]
        stack.store.drain_webhooks()
    # One order per page, so the run is still reading the store when the worker dies.
    started = subprocess.run(
        [str(WOOERP), "reconcile", "run", CODE, *SPAN, "--no-wait"],
        env={**os.environ, **stack.env, "WOOERP_RECONCILE__PER_PAGE": "1"},
        capture_output=True, text=True, timeout=120)
    assert started.returncode == 0, started.stdout + started.stderr
    wid = f"reconcile:{CODE}:{SPAN[1]}..{SPAN[3]}"
    handle = temporal_client.get_workflow_handle(wid, result_type=ReconcileResult)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while True:
        progress = await handle.query(ReconcileWorkflow.progress)
        if progress.pages_read >= 2:
            break
        assert not progress.done, "the run ended before the worker could be killed"
        assert loop.time() < deadline, f"the run never got going: {progress}"
        await asyncio.sleep(0.1)
    stack.kill_worker()
    await stack.start_worker()
    result = await asyncio.wait_for(handle.result(), 120)
    assert result.progress.recovered == 2
    for order in lost:  # one saga each, started once, whatever was redone after the kill
        runs = [w async for w in temporal_client.list_workflows(
            f'WorkflowId = "order:{CODE}:{order["id"]}"')]
        assert len(runs) == 1, runs
        assert await stack.status(order["id"]) is not None
