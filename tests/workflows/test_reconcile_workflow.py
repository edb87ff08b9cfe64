"""ReconcileWorkflow on a real Temporal server: the ledger and the compare are
real, the store, the ERP and the sagas are in-process stand-ins. A lost order
is handed to its saga exactly once, also when the worker dies mid-run, and
a long run continues as new without losing its place."""
from __future__ import annotations

import asyncio
import contextlib
import math
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import AsyncIterator

import pytest
from temporalio import activity
from temporalio.client import Client
from temporalio.worker import Worker

from activities import refs
from activities.contracts import Forwarded, OrderRef
from activities.reconcile import (ReconcileErpActivities, ReconcileLedgerActivities, next_cursor,
                                  STORE)
from activities.reconcile_contracts import (LookupInput, LookupResult, RecoveriesInput,
                                            ReconcileWindow, SagaPageInput, SagaPageResult,
                                            StoreCursor, StorePageInput, StorePageResult)
from canonical.entities import Order
from canonical.erp import ErpSale, ErpSaleLine
from canonical.money import Money
from canonical.reconcile import Cause, SagaState, StoreOrder, business_day
from sandbox.fake_systems import sample_order
from systems.erp.port import ErpSalesPage
from systems.ledger import Ledger
from workers.worker.registry import activities_of
from workflows.reconcile import ReconcileWorkflow
from workflows.reconcile_types import (ReconcileInput, ReconcilePolicy, ReconcileResult,
                                       reconcile_workflow_id)

DAY = date(2026, 11, 26)  # sample_order's day
usd = lambda x: Money.of(x, "USD")  # noqa: E731


class FakeErp:
    """list_sales over in-memory sales, paged like the adapter."""

    def __init__(self, sales: dict[str, ErpSale]) -> None:
        self.sales = sales

    async def list_sales(self, *, prefix=None, refs=None, created_from=None, created_to=None,
                         offset=0, limit=500) -> ErpSalesPage:
        found = [s for r, s in sorted(self.sales.items(), key=lambda kv: kv[1].erp_id)
                 if (refs is not None and r in refs) or (prefix and r.startswith(prefix))]
        page = found[offset:offset + limit]
        more = offset + limit < len(found)
        return ErpSalesPage(sales=page, credit_notes=[], next_offset=offset + limit if more
                            else None)


@dataclass
class World:
    ledger: Ledger
    store: str
    orders: dict[int, Order] = field(default_factory=dict)
    sales: dict[str, ErpSale] = field(default_factory=dict)
    sagas: dict[str, SagaState] = field(default_factory=dict)
    forwards: Counter = field(default_factory=Counter)
    starts: Counter = field(default_factory=Counter)

    def order(self, n: int, *, booked: bool = True, saga: bool = True) -> None:
        o = sample_order(n, store=self.store,
                         modified=datetime(2026, 11, 26, 9, tzinfo=timezone.utc)
                         + timedelta(seconds=n))
        self.orders[n] = o
        if booked:
            self.sale(n)
        if saga:
            self.saga(n, "awaiting_shipment")

    def sale(self, n: int) -> None:
        self.sales[f"woo:{self.store}:{n}"] = ErpSale(
            erp_id=n, number=f"SO{n}", external_ref=f"woo:{self.store}:{n}", state="processing",
            total=usd("27.50"), untaxed=usd("25.00"), tax=usd("2.50"),
            lines=[ErpSaleLine(component="items", sku="WOO-MUG", quantity=Decimal(2),
                               amount=usd("25.00"))],
            created_at=datetime(2026, 11, 26, 12, 1, tzinfo=timezone.utc))

    def saga(self, n: int, stage: str) -> None:
        wid = f"order:{self.store}:{n}"
        self.sagas[wid] = SagaState(workflow_id=wid, woo_id=n, kind="order", stage=stage,
                                    reason=None, since=None, running=True)

    # the stand-ins ------------------------------------------------------------------
    def activities(self, *, block_recoveries: bool = False) -> dict[str, list]:
        w = self

        @activity.defn(name=refs.RECONCILE_STORE_PAGE.name)
        async def store_page(inp: StorePageInput) -> StorePageResult:
            after = inp.cursor.after.replace(microsecond=0)
            rows = sorted((o for o in w.orders.values()
                           if after < o.date_modified.replace(microsecond=0)
                           and o.date_modified < inp.modified_before),
                          key=lambda o: (o.date_modified, o.woo_id))
            start = (inp.cursor.page - 1) * inp.per_page
            page = rows[start:start + inp.per_page]
            w.ledger.reconcile_stage(inp.run_key, STORE, [
                (str(o.woo_id), StoreOrder.of(o).row()) for o in page])
            total_pages = max(1, math.ceil(len(rows) / inp.per_page))
            return StorePageResult(orders=len(page), next=next_cursor(
                inp.cursor, [o.date_modified for o in page], inp.per_page, total_pages))

        @activity.defn(name=refs.RECONCILE_STORE_LOOKUP.name)
        async def store_lookup(inp: LookupInput) -> LookupResult:
            gone = [i for i in inp.woo_ids if i not in w.orders]
            w.ledger.reconcile_stage(inp.run_key, "gone", [(str(i), {"woo_id": i}) for i in gone])
            return LookupResult(found=len(inp.woo_ids) - len(gone), gone=len(gone))

        @activity.defn(name=refs.RECONCILE_SAGA_PAGE.name)
        async def saga_page(inp: SagaPageInput) -> SagaPageResult:
            w.ledger.reconcile_stage(inp.run_key, "saga", [(k, s.row())
                                                           for k, s in w.sagas.items()])
            return SagaPageResult(sagas=len(w.sagas), next_token=None)

        @activity.defn(name=refs.WOO_GET_ORDER.name)
        async def get_order(ref: OrderRef) -> Order:
            return w.orders[ref.woo_order_id]

        @activity.defn(name=refs.SAGAS_FORWARD_ORDER.name)
        async def forward_order(order: Order) -> Forwarded:
            wid = f"order:{order.store}:{order.woo_id}"
            w.forwards[order.woo_id] += 1
            known = wid in w.sagas
            if not known:  # signal-with-start: only the first one starts
                w.starts[order.woo_id] += 1
                w.saga(order.woo_id, "awaiting_erp")
            return Forwarded(workflow_id=wid, known=known, note=f"signalled {wid}")

        @activity.defn(name=refs.RECONCILE_RECOVERIES.name)
        async def stuck_recoveries(inp: RecoveriesInput) -> int:
            await asyncio.Event().wait()  # until the worker dies
            return 0

        ledger = [a for a in activities_of(ReconcileLedgerActivities(w.ledger))
                  if not (block_recoveries and a.__name__ == "recoveries")]
        if block_recoveries:
            ledger.append(stuck_recoveries)
        return {"woocommerce": [store_page, store_lookup, get_order],
                "erp": activities_of(ReconcileErpActivities(FakeErp(w.sales), w.ledger)),
                "sagas": [saga_page, forward_order], "ledger": ledger}


@contextlib.asynccontextmanager
async def workers(client: Client, world: World, suffix: str,
                  **kwargs) -> AsyncIterator[str]:
    pool = ThreadPoolExecutor(4)
    queue = f"orders{suffix}"
    started = [Worker(client, task_queue=queue, workflows=[ReconcileWorkflow])]
    started += [Worker(client, task_queue=f"{q}{suffix}", activities=acts,
                       activity_executor=pool, graceful_shutdown_timeout=timedelta(0))
                for q, acts in world.activities(**kwargs).items()]
    try:
        async with contextlib.AsyncExitStack() as stack:
            for w in started:
                await stack.enter_async_context(w)
            yield queue
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


@pytest.fixture
def world(tmp_path) -> World:
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    ledger.migrate()
    yield World(ledger=ledger, store=f"s{uuid.uuid4().hex[:6]}")
    ledger.close()


def window(store: str) -> ReconcileWindow:
    d = business_day(DAY, "UTC")
    return ReconcileWindow(store=store, first_day=DAY, last_day=DAY, timezone="UTC",
                           start=d.start, end=d.end)


async def start(client: Client, world: World, queue: str, **policy):
    wid = reconcile_workflow_id(world.store, DAY, DAY)
    return await client.start_workflow(
        ReconcileWorkflow.run, ReconcileInput(window=window(world.store),
                                              policy=ReconcilePolicy(**policy)),
        id=wid, task_queue=queue, result_type=ReconcileResult)


async def test_a_lost_order_is_recovered_and_every_difference_explained(temporal_client, world):
    for n in (1, 2, 3, 5):
        world.order(n)
    world.order(4, booked=False, saga=False)  # its webhooks were lost
    world.sale(9)  # booked in the ERP; the store never had order 9
    suffix = f"@rec-{uuid.uuid4().hex[:6]}"
    async with workers(temporal_client, world, suffix) as queue:
        handle = await start(temporal_client, world, queue, per_page=2, erp_page=2)
        result = await asyncio.wait_for(handle.result(), 60)
        progress = await handle.query(ReconcileWorkflow.progress)
    assert progress.done and progress.orders_compared == 6 and progress.recovered == 1
    assert progress.pages_read >= 3 + 3 + 1  # paged, not read at once
    assert world.starts == Counter({4: 1}) and world.forwards == Counter({4: 1})
    [day] = world.ledger.variance_days(world.store, DAY, DAY)
    assert day.by_cause() == {Cause.RECOVERED: usd("27.50"),
                              Cause.ERP_WITHOUT_STORE_ORDER: usd("-27.50")}
    assert day.unexplained.is_zero() and day.difference.is_zero()
    assert result.compared.days[0].unexplained == usd("0.00")
    assert world.ledger.reconcile_staged_count(result.run_key, STORE) == 0  # cleaned up


async def test_a_run_whose_worker_dies_mid_way_resumes_without_a_second_saga(temporal_client,
                                                                            world):
    for n in range(1, 4):
        world.order(n, booked=False, saga=False)
    suffix = f"@rec-{uuid.uuid4().hex[:6]}"
    async with workers(temporal_client, world, suffix, block_recoveries=True) as queue:
        handle = await start(temporal_client, world, queue)
        deadline = asyncio.get_running_loop().time() + 20
        while sum(world.forwards.values()) < 3:  # handed over, not yet written down
            assert asyncio.get_running_loop().time() < deadline, world.forwards
            await asyncio.sleep(0.05)
    # The first worker is gone; another one picks the run up from its history.
    async with workers(temporal_client, world, suffix):
        result = await asyncio.wait_for(handle.result(), 60)
    assert world.forwards == world.starts == Counter({1: 1, 2: 1, 3: 1})
    assert result.progress.recovered == 3
    [day] = world.ledger.variance_days(world.store, DAY, DAY)
    assert day.by_cause() == {Cause.RECOVERED: usd("82.50")}

    # Running the window again hands nothing over twice: the sagas exist now.
    async with workers(temporal_client, world, suffix) as queue:
        again = await asyncio.wait_for(
            (await start(temporal_client, world, queue)).result(), 60)
    assert world.starts == Counter({1: 1, 2: 1, 3: 1}) and again.progress.recovered == 0
    [day] = world.ledger.variance_days(world.store, DAY, DAY)
    assert day.by_cause() == {Cause.IN_FLIGHT: usd("82.50")}  # the sagas carry them now


async def test_a_long_run_continues_as_new_and_keeps_its_place(temporal_client, world):
    for n in range(1, 41):
        world.order(n)
    suffix = f"@rec-{uuid.uuid4().hex[:6]}"
    async with workers(temporal_client, world, suffix) as queue:
        handle = await start(temporal_client, world, queue, per_page=1, history_limit=50)
        result = await asyncio.wait_for(handle.result(), 60)
        first = handle.first_execution_run_id or handle.result_run_id
        latest = (await temporal_client.get_workflow_handle(handle.id).describe()).run_id
    assert latest != first  # it did continue as new
    assert result.run_key.endswith(f"@{first}")  # ...as the same run
    assert result.progress.orders_compared == 40 and result.progress.store_orders >= 40
    [day] = world.ledger.variance_days(world.store, DAY, DAY)
    assert day.variances == [] and day.orders_compared == 40
    assert len(world.ledger.reconcile_runs(world.store)) == 1
