"""InventorySync on a real Temporal server, the ledger real, the store, the
ERP and the sagas in-process stand-ins: a burst of changes is coalesced
into a few rounds, a refused item is reported and the rest applied, a
failing round loses nothing, and a long sync continues as new with its
state."""
from __future__ import annotations

import asyncio
import contextlib
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import AsyncIterator

import pytest
from temporalio import activity
from temporalio.client import Client, WorkflowHandle
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from activities import refs
from activities.inventory import InventoryLedgerActivities
from activities.inventory_contracts import (Available, Holds, PushInput, PushResult, SkusInput,
                                            StoreStock)
from canonical.inventory import Problem, StoreItem
from systems.ledger import Ledger
from workers.worker.registry import activities_of
from workflows.inventory import InventorySync
from workflows.inventory_types import (Changed, InventoryInput, InventoryPolicy, InventoryStatus,
                                       inventory_workflow_id)


@dataclass
class World:
    """A store and an ERP as dicts; every call counted."""

    ledger: Ledger
    store: str
    erp: dict[str, int] = field(default_factory=dict)
    shelf: dict[str, int] = field(default_factory=dict)
    held: dict[str, int] = field(default_factory=dict)
    refuse: set[str] = field(default_factory=set)  # SKUs whose push the store refuses
    erp_down: bool = False
    pushes: list[list[str]] = field(default_factory=list)
    reads: int = 0

    def activities(self) -> dict[str, list]:
        ids = {}

        def pid(sku: str) -> int:
            return ids.setdefault(sku, len(ids) + 1)

        @activity.defn(name=refs.INVENTORY_ERP_AVAILABLE.name)
        async def available(inp: SkusInput) -> Available:
            if self.erp_down:
                raise ApplicationError("ERP down", type="ErpRetryableError")
            wanted = self.erp if inp.skus is None else {s: self.erp[s] for s in inp.skus
                                                        if s in self.erp}
            return Available(units=dict(wanted))

        @activity.defn(name=refs.INVENTORY_HOLDS.name)
        async def holds(store: str) -> Holds:
            return Holds(units=dict(self.held), orders=len(self.held))

        @activity.defn(name=refs.INVENTORY_STORE_STOCK.name)
        async def store_stock(inp: SkusInput) -> StoreStock:
            self.reads += 1
            skus = self.shelf if inp.skus is None else [s for s in inp.skus if s in self.shelf]
            return StoreStock(items=[StoreItem(sku=s, product_id=pid(s), manage_stock=True,
                                               stock_quantity=self.shelf[s]) for s in skus],
                              calls=1)

        @activity.defn(name=refs.INVENTORY_PUSH.name)
        async def push(inp: PushInput) -> PushResult:
            self.pushes.append([p.sku for p in inp.pushes])
            out = PushResult(calls=1)
            for p in inp.pushes:
                if p.sku in self.refuse:
                    out.failed.append(Problem(sku=p.sku, kind="push_failed",
                                              detail="woocommerce_rest_product_invalid_id"))
                else:
                    self.shelf[p.sku] = p.quantity
                    out.updated.append(p.sku)
            return out

        return {"erp": [available], "sagas": [holds], "woocommerce": [store_stock, push],
                "ledger": activities_of(InventoryLedgerActivities(self.ledger))}


@pytest.fixture
def world(tmp_path) -> World:
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    ledger.migrate()
    yield World(ledger=ledger, store=f"s{uuid.uuid4().hex[:6]}")
    ledger.close()


@contextlib.asynccontextmanager
async def running(client: Client, world: World, **policy) -> AsyncIterator[WorkflowHandle]:
    suffix = f"@inv-{uuid.uuid4().hex[:6]}"
    pool = ThreadPoolExecutor(4)
    started = [Worker(client, task_queue=f"orders{suffix}", workflows=[InventorySync])]
    started += [Worker(client, task_queue=f"{q}{suffix}", activities=acts, activity_executor=pool,
                       graceful_shutdown_timeout=timedelta(0))
                for q, acts in world.activities().items()]
    try:
        async with contextlib.AsyncExitStack() as stack:
            for w in started:
                await stack.enter_async_context(w)
            handle = await client.start_workflow(
                InventorySync.run, InventoryInput(store=world.store, policy=InventoryPolicy(
                    **{"max_attempts": 2, "settle_seconds": 0, **policy})),
                id=inventory_workflow_id(world.store), task_queue=f"orders{suffix}")
            try:
                yield handle
            finally:
                await handle.terminate("test over")
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


async def until(handle: WorkflowHandle, check, timeout: float = 30) -> InventoryStatus:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        st = await handle.query(InventorySync.status)
        if check(st):
            return st
        if loop.time() > deadline:
            raise AssertionError(f"not reached: {st}")
        await asyncio.sleep(0.1)


async def test_a_burst_of_changes_is_coalesced_into_a_few_rounds(temporal_client, world):
    skus = [f"SKU-{n:02d}" for n in range(50)]
    world.erp = {s: 100 for s in skus}
    world.shelf = {s: 100 for s in skus}
    async with running(temporal_client, world, window_seconds=1.0) as handle:
        await until(handle, lambda st: st.full_runs == 1)
        reads = world.reads
        for n in range(1000):  # 1,000 changes on 50 SKUs, as fast as signals go
            sku = skus[n % 50]
            world.erp[sku] += 1 if n % 3 else -1
            await handle.signal(InventorySync.changed, Changed(skus=[sku]))
        st = await until(handle, lambda st: world.shelf == world.erp and not st.pending)
    assert len(world.pushes) <= 10 and world.reads - reads <= 10
    assert sum(len(p) for p in world.pushes) >= 50  # every SKU moved, each pushed per round
    assert st.out_of_step == [] and st.problems == []


async def test_a_refused_item_is_reported_and_the_others_applied(temporal_client, world):
    world.erp = {"A": 5, "B": 6, "GONE": 7}
    world.shelf = {"A": 0, "B": 0, "GONE": 0}
    world.refuse = {"GONE"}
    async with running(temporal_client, world) as handle:
        st = await until(handle, lambda st: st.full_runs == 1)
        assert world.shelf == {"A": 5, "B": 6, "GONE": 0}
        [gap] = st.out_of_step
        assert (gap.sku, gap.erp, gap.store) == ("GONE", 7, 0)
        assert [(p.sku, p.kind) for p in st.problems] == [("GONE", "push_failed")]
        assert st.accuracy == 0.0  # none of the three was right before the repair
        world.refuse = set()
        await handle.signal(InventorySync.changed, Changed(skus=["GONE"]))
        st = await until(handle, lambda st: not st.out_of_step)
    assert world.shelf["GONE"] == 7 and st.problems == []
    check = world.ledger.inventory_latest(world.store, "full")
    assert (check.compared, check.in_step, check.repaired, check.unresolved) == (3, 0, 2, 1)
    adjusted = [e.payload for e in world.ledger.events_for(inventory_workflow_id(world.store))]
    assert sorted((a["sku"], a["reason"]) for a in adjusted) == [
        ("A", "full"), ("B", "full"), ("GONE", "event")]


async def test_store_orders_the_erp_has_not_accepted_are_subtracted(temporal_client, world):
    world.erp, world.shelf, world.held = {"A": 10}, {"A": 7}, {"A": 3}
    async with running(temporal_client, world) as handle:
        await until(handle, lambda st: st.full_runs == 1)
        assert world.pushes == []  # 10 - 3 = 7: the store is right
        world.erp["A"] = 15
        await handle.signal(InventorySync.changed, Changed(skus=["A"]))
        await until(handle, lambda st: world.shelf["A"] == 12)


async def test_a_failing_round_loses_no_change(temporal_client, world):
    world.erp, world.shelf = {"A": 1}, {"A": 1}
    async with running(temporal_client, world) as handle:
        await until(handle, lambda st: st.full_runs == 1)
        world.erp_down = True
        world.erp["A"] = 4
        await handle.signal(InventorySync.changed, Changed(skus=["A"]))
        st = await until(handle, lambda st: st.last_error is not None)
        assert "ERP down" in st.last_error and world.shelf["A"] == 1
        world.erp_down = False
        st = await until(handle, lambda st: world.shelf["A"] == 4 and st.last_error is None,
                         timeout=60)


async def test_a_long_sync_continues_as_new_with_its_state(temporal_client, world):
    world.erp, world.shelf = {"A": 1}, {"A": 0}
    async with running(temporal_client, world, rounds_per_run=2) as handle:
        first = (await handle.describe()).run_id
        await until(handle, lambda st: st.full_runs == 1)
        for qty in (2, 3, 4):
            world.erp["A"] = qty
            await handle.signal(InventorySync.changed, Changed(skus=["A"]))
            await until(handle, lambda st: world.shelf["A"] == qty)
        st = await until(handle, lambda st: st.pushed == 4)
        latest = temporal_client.get_workflow_handle(handle.id)
        assert (await latest.describe()).run_id != first
        assert st.full_runs == 1 and st.rounds == 4  # counted across runs
