"""BackfillWorkflow on a real Temporal server with the real page activity:
the store is an in-process stand-in (the same paging rules as WooCommerce),
the order sagas are stand-ins registered as `OrderSaga` that settle only when
the test says so. Every wait is on a condition, never on a duration."""
from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, AsyncIterator, Callable

import pytest
from temporalio import workflow
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.worker import Worker

from activities.refs import Queue
from systems.woocommerce.client import Page
from systems.woocommerce.errors import WooRetryableError, WooUnexpectedResponse
from workers.config.settings import Settings
from workers.sagas.backfill_activities import BackfillActivities
from workers.sagas.client import SagaClient
from workers.sagas.outcomes import Refused
from workers.worker.registry import activities_of
from workers.worker.resources import Resources
from workers.worker.run import build_workers
from workflows.backfill import BackfillWorkflow
from workflows.backfill_types import (BackfillInput, BackfillPolicy, BackfillProgress,
                                      SagaSettled, backfill_workflow_id)
from workflows.order_types import OrderSagaInput

RAW = json.loads((Path(__file__).parents[1] / "data" / "order_created_delivery.json").read_text())
FIRST, LAST = date(2024, 1, 1), date(2024, 12, 31)
START = datetime(2024, 1, 1, tzinfo=timezone.utc)
END = datetime(2025, 1, 1, tzinfo=timezone.utc)
GMT = "%Y-%m-%dT%H:%M:%S"


def raw_order(n: int, modified: datetime, *, paid: bool = True, status: str = "completed"
              ) -> dict[str, Any]:
    o = copy.deepcopy(RAW)
    o.update(id=n, number=str(n), status=status, refunds=[],
             date_modified_gmt=modified.strftime(GMT), date_modified=modified.strftime(GMT),
             date_paid_gmt=modified.strftime(GMT) if paid else None,
             date_paid=modified.strftime(GMT) if paid else None)
    return o


class FakeStore:
    """`list_orders` as WooCommerce answers it: modified_after/before exclusive,
    oldest modification first then id, offset overriding page. `fail` is
    called before each answer and may raise (a 429, an HTML page)."""

    def __init__(self, orders: list[dict[str, Any]],
                 fail: Callable[[int], None] = lambda n: None) -> None:
        self.orders, self.fail, self.calls = orders, fail, 0

    def list_orders(self, modified_after=None, page=1, per_page=100, status=None,
                    modified_before=None, offset=0) -> Page:
        self.calls += 1
        self.fail(self.calls)
        after = modified_after.strftime(GMT) if modified_after else ""
        before = modified_before.strftime(GMT) if modified_before else "9999"
        found = sorted((o for o in self.orders
                        if after < o["date_modified_gmt"] < before),
                       key=lambda o: (o["date_modified_gmt"], o["id"]))
        first = offset or (page - 1) * per_page
        return Page(found[first:first + per_page], len(found), -(-len(found) // per_page))


@workflow.defn(name="OrderSaga", sandboxed=False)  # a test stand-in
class SagaStandIn:
    """Takes the payload, then settles in its backfill when told `release`."""

    def __init__(self) -> None:
        self._payloads, self._released = 0, False

    @workflow.signal
    def woo_order_updated(self, order: dict) -> None:
        self._payloads += 1

    @workflow.signal
    def release(self) -> None:
        self._released = True

    @workflow.query
    def payloads(self) -> int:
        return self._payloads

    @workflow.run
    async def run(self, inp: OrderSagaInput) -> int:
        await workflow.wait_condition(lambda: self._released)
        if inp.backfill_id:  # started by a backfill: a historical saga
            assert inp.historical
            await workflow.get_external_workflow_handle(inp.backfill_id).signal(
                "saga_settled", SagaSettled(woo_id=inp.woo_order_id, outcome="booked"))
        return self._payloads


@contextlib.asynccontextmanager
async def running(client: Client, store: FakeStore, name: str) -> AsyncIterator[Settings]:
    settings = Settings(temporal={"deployment": name})
    acts = BackfillActivities(settings, {name: store})
    workers = [Worker(client, task_queue=f"orders@{name}",
                      workflows=[BackfillWorkflow, SagaStandIn]),
               Worker(client, task_queue=f"sagas@{name}", activities=activities_of(acts),
                      graceful_shutdown_timeout=timedelta(0))]
    async with contextlib.AsyncExitStack() as stack:
        for w in workers:
            await stack.enter_async_context(w)
        yield settings


async def start(client: Client, name: str, **policy: Any):
    inp = BackfillInput(store=name, first_day=FIRST, last_day=LAST, start=START, end=END,
                        policy=BackfillPolicy(rate=1000, **policy))
    return await client.start_workflow(
        BackfillWorkflow.run, inp, id=backfill_workflow_id(name, FIRST, LAST),
        task_queue=f"orders@{name}", result_type=BackfillProgress)


async def until(handle, check: Callable[[BackfillProgress], bool],
                limit: float = 120) -> BackfillProgress:
    """Query until `check` holds (the limit only ends a hung run)."""
    seen: list[BackfillProgress] = []

    async def loop() -> BackfillProgress:
        while True:
            seen[:] = [await handle.query(BackfillWorkflow.progress)]
            if check(seen[0]):
                return seen[0]
            await asyncio.sleep(0.05)
    try:
        return await asyncio.wait_for(loop(), limit)
    except TimeoutError:
        raise AssertionError(f"still {seen[0] if seen else 'no answer'}") from None


async def release(client: Client, name: str, ids: list[int]) -> None:
    for n in ids:
        await client.get_workflow_handle(f"order:{name}:{n}").signal(SagaStandIn.release)


async def refused(handle, update, words: str) -> None:
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await handle.execute_update(update)
    assert words in str(getattr(failed.value.cause, "message", failed.value.cause))


def name() -> str:
    return f"bf{uuid.uuid4().hex[:8]}"


def orders(count: int, *, same_second: int = 0) -> list[dict[str, Any]]:
    """`count` paid orders a few seconds apart; the last `same_second` share one second."""
    out = []
    for n in range(1, count + 1):
        second = min(n, count - same_second + 1) * 7
        out.append(raw_order(1000 + n, START + timedelta(days=3, seconds=second)))
    return out


async def test_the_window_bounds_sagas_in_flight_and_each_order_is_handed_over_once(
        temporal_client):
    n = name()
    # 12 orders share one second (more than a page of 5): the cursor's skip list
    # and offset must step over them without loss or repeat.
    listed = orders(29, same_second=12)
    listed.insert(3, raw_order(7, START + timedelta(days=2), paid=False, status="pending"))
    broken = raw_order(8, START + timedelta(days=2, seconds=1))
    broken["currency"] = "dollars"  # does not map
    listed.insert(4, broken)
    listed.append(raw_order(9, START - timedelta(seconds=1)))  # before the range
    listed.append(raw_order(10, END))  # after it: modified_before is exclusive
    store = FakeStore(listed)
    paid = sorted(1000 + i for i in range(1, 30))
    async with running(temporal_client, store, n):
        handle = await start(temporal_client, n, window=7, per_page=5, pages_per_call=3,
                             pages_per_run=2)
        released: list[int] = []
        while len(released) < len(paid):
            want = min(len(paid), len(released) + 7)
            p = await until(handle, lambda p: p.started >= want)
            assert p.started == want, "the window let more sagas start than it has slots"
            assert p.in_flight <= 7
            batch = paid[len(released):p.started]
            await release(temporal_client, n, batch)
            released += batch
        result = await handle.result()
        first_run = await temporal_client.get_workflow_handle(
            handle.id, run_id=handle.first_execution_run_id).fetch_history()
    assert (result.phase, result.started, result.known, result.booked) == ("done", 29, 0, 29)
    assert result.seen == 31 and result.unpaid_ids == [7]
    assert [q.woo_id for q in result.quarantine] == [8]
    assert "does not map" in result.quarantine[0].reason
    assert result.pages >= 29 // 5
    assert first_run.events[-1].HasField(
        "workflow_execution_continued_as_new_event_attributes"), "no continue-as-new"
    for n_ in paid:  # one payload each: nothing handed over twice
        assert await temporal_client.get_workflow_handle(f"order:{n}:{n_}").result() == 1


async def test_pause_resume_and_cancel_are_updates_a_validator_refuses_twice(temporal_client):
    n = name()
    store = FakeStore(orders(20))
    async with running(temporal_client, store, n) as settings:
        handle = await start(temporal_client, n, window=4, per_page=2, pages_per_call=1)
        await until(handle, lambda p: p.started == 4)  # the window is full
        paused = await handle.execute_update(BackfillWorkflow.pause)
        assert paused.paused
        await refused(handle, BackfillWorkflow.pause, "paused already")
        await release(temporal_client, n, [1001, 1002, 1003, 1004])
        p = await until(handle, lambda p: p.in_flight == 0)
        # Paused with room in the window: a page could only be read after a
        # resume. A query after the last settle signal sees the state it left.
        assert p.started == 4 and p.paused
        resumed = await handle.execute_update(BackfillWorkflow.resume)
        assert not resumed.paused
        await refused(handle, BackfillWorkflow.resume, "not paused")
        await until(handle, lambda p: p.started == 8)
        await handle.execute_update(BackfillWorkflow.cancel)
        result = await handle.result()
        with pytest.raises(Refused, match="ended"):  # cancelled: a second cancel is refused
            await SagaClient(temporal_client, settings).backfill_control(handle.id, "cancel")
    assert result.phase == "cancelled" and result.started == 8 and result.seen < 20


async def test_a_429_storm_and_an_html_page_slow_the_backfill_down_and_it_completes(
        temporal_client):
    def storm(call: int) -> None:
        if call <= 3:
            raise WooRetryableError("HTTP 429: slow down", 429, retry_after=0.2)
        if call == 4:
            raise WooUnexpectedResponse("not JSON: '<html>captcha'", 200)

    n = name()
    store = FakeStore(orders(6), fail=storm)
    async with running(temporal_client, store, n):
        handle = await start(temporal_client, n, window=10, per_page=5)
        p = await until(handle, lambda p: p.started == 6)
        await release(temporal_client, n, [1001 + i for i in range(6)])
        result = await handle.result()
    assert result.phase == "done" and result.booked == 6
    assert p.throttled_seconds >= 0.6 + 1.0  # three Retry-After waits, then one backoff
    assert store.calls >= 6


async def test_an_order_with_a_saga_gets_the_newer_payload_and_takes_no_slot(temporal_client):
    n = name()
    listed = orders(3)
    store = FakeStore(listed)
    async with running(temporal_client, store, n):
        # Its webhook came long ago: the order has its (non-historical) saga.
        await temporal_client.start_workflow(
            "OrderSaga", OrderSagaInput(store=n, woo_order_id=1002), id=f"order:{n}:1002",
            task_queue=f"orders@{n}", start_signal="woo_order_updated",
            start_signal_args=[listed[1]])
        handle = await start(temporal_client, n, window=2, per_page=5)
        p = await until(handle, lambda p: p.started == 2 and p.known == 1)
        assert p.in_flight == 2
        await release(temporal_client, n, [1001, 1002, 1003])
        result = await handle.result()
        known = await temporal_client.get_workflow_handle(f"order:{n}:1002").result()
    assert (result.phase, result.seen, result.started, result.known, result.booked) == \
        ("done", 3, 2, 1, 2)
    assert known == 2  # the webhook's payload, then the backfill's


async def test_the_next_call_s_first_page_is_read_while_the_last_one_is_handed_over(
        temporal_client):
    """Pipelined across calls: the page after a call's last one is asked for
    by that call (so it is on its way while the workflow schedules the next
    call), and the next call takes it instead of asking again."""
    from temporalio import activity

    asked_by: list[str] = []

    class Recording(FakeStore):
        def list_orders(self, *args, **kwargs) -> Page:
            asked_by.append(activity.info().activity_id)
            return super().list_orders(*args, **kwargs)

    n = name()
    store = Recording(orders(20))
    async with running(temporal_client, store, n):
        handle = await start(temporal_client, n, window=100, per_page=5, pages_per_call=2)
        await until(handle, lambda p: p.started == 20)
        await release(temporal_client, n, [1001 + i for i in range(20)])
        result = await handle.result()
    assert (result.phase, result.started, result.booked) == ("done", 20, 20)
    assert store.calls == result.pages >= 4  # every page read once
    assert asked_by[:3] == [asked_by[0]] * 3  # pages 1, 2, and 3 for the next call


async def test_a_backfill_pages_on_the_sagas_queue_not_behind_the_sagas_it_starts(
        temporal_client):
    """The worker runs BackfillWorkflow on the `sagas` queue, and the CLI starts
    it there: its next page is not a workflow task queued behind those of the
    sagas it just started on `orders`."""
    n = name()
    settings = Settings(temporal={"deployment": n})
    store = FakeStore(orders(3))
    workers, pools = build_workers(
        temporal_client, settings, Resources(settings), queues=[Queue.SAGAS],
        activities={Queue.SAGAS: [lambda r: activities_of(BackfillActivities(settings,
                                                                             {n: store}))]})
    sagas = Worker(temporal_client, task_queue=f"orders@{n}", workflows=[SagaStandIn])
    inp = BackfillInput(store=n, first_day=FIRST, last_day=LAST, start=START, end=END,
                        policy=BackfillPolicy(rate=1000, window=10))
    try:
        async with contextlib.AsyncExitStack() as stack:
            for w in [*workers, sagas]:
                await stack.enter_async_context(w)
            wid, how = await SagaClient(temporal_client, settings).start_backfill(inp)
            handle = temporal_client.get_workflow_handle(wid, result_type=BackfillProgress)
            p = await until(handle, lambda p: p.started == 3)
            assert (how, p.phase, p.in_flight) == ("started", "draining", 3)
            assert (await handle.describe()).task_queue == f"sagas@{n}"
            saga = await temporal_client.get_workflow_handle(f"order:{n}:1001").describe()
            assert saga.task_queue == f"orders@{n}"
            await release(temporal_client, n, [1001, 1002, 1003])
            result = await handle.result()
    finally:
        for pool in pools:
            pool.shutdown(wait=False, cancel_futures=True)
    assert (result.phase, result.booked) == ("done", 3)


async def test_the_store_is_read_two_pages_ahead_of_a_slow_hand_over():
    """The page reads do not wait for the hand-over: while the first page's
    orders are still being handed over, the second and third pages are read,
    as a plain script would read them. (A reader gated on the hand-over asks
    for the third page only once the first page is handed over.)"""
    from temporalio.testing import ActivityEnvironment

    from workflows.backfill_types import BackfillCursor, PageInput

    n = name()
    store = FakeStore(orders(15))
    acts = BackfillActivities(Settings(temporal={"deployment": n}), {n: store})
    first_held, handed = asyncio.Event(), []

    async def hand_over(inp, raws, result) -> int:
        handed.append([r["id"] for r in raws])
        if len(handed) == 1:
            await first_held.wait()
        result.started += len(raws)
        return len(raws)

    acts._hand_over = hand_over
    inp = PageInput(backfill_id=backfill_workflow_id(n, FIRST, LAST), store=n, mode="book",
                    statuses=["any"], start=START, end=END, cursor=BackfillCursor(), room=100,
                    policy=BackfillPolicy(rate=1000, per_page=5, pages_per_call=3))
    call = asyncio.ensure_future(ActivityEnvironment().run(acts.page, inp))
    try:
        async with asyncio.timeout(30):
            while store.calls < 3:
                assert not call.done(), call.result()
                await asyncio.sleep(0.01)
        assert len(handed) == 1  # page 1 still being handed over
    finally:
        first_held.set()
    result = await call
    # Each page starts again at its cursor's second (WooCommerce's
    # modified_after counts whole seconds): 5 orders, then 4 new a page.
    assert [len(h) for h in handed] == [5, 4, 4]
    assert sum(handed, []) == [1001 + i for i in range(13)]
    assert (result.pages, result.started, result.done) == (3, 13, False)


async def test_a_window_narrower_than_a_page_reads_no_page_it_cannot_take():
    """Room for 3 sagas, pages of 5: the call reads one page, hands 3 over,
    and asks the store for nothing more (each read would spend the
    backfill's --rate on a page the window cannot take)."""
    from temporalio.testing import ActivityEnvironment

    from workflows.backfill_types import BackfillCursor, PageInput

    n = name()
    store = FakeStore(orders(15))
    acts = BackfillActivities(Settings(temporal={"deployment": n}), {n: store})

    async def hand_over(inp, raws, result) -> int:
        await asyncio.sleep(0.3)  # time enough for a read-ahead to reach the store
        result.started += len(raws)
        return len(raws)

    acts._hand_over = hand_over
    inp = PageInput(backfill_id=backfill_workflow_id(n, FIRST, LAST), store=n, mode="book",
                    statuses=["any"], start=START, end=END, cursor=BackfillCursor(), room=3,
                    policy=BackfillPolicy(rate=1000, per_page=5, pages_per_call=3))
    result = await ActivityEnvironment().run(acts.page, inp)
    assert (result.pages, result.started, result.done) == (1, 3, False)
    assert store.calls == 1
