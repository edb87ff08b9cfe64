"""Engine overhead: OrderSaga on zero-latency fakes vs a bare workflow that
runs the same number of no-op activities on the same queue layout.

Both run on one Temporal dev server (in memory, with the product's latency
flags), in one process, at the same concurrency, alternating in rounds so
machine noise hits both alike. What is left between them is what the saga
itself costs the engine: signal-with-start, search-attribute upserts, the
pydantic payloads (a whole Order per ERP call), its branching and queries.

    .venv/bin/python -m bench.overhead [--workflows 200] [--concurrency 20] [--rounds 4]
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from temporalio import activity
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

from activities import refs
from activities.contracts import AcceptOrderInput
from canonical.erp import ErpSale
from bench.bare_workflow import LOCAL, LOCAL_MARKER, BareWorkflow, noop
from bench.cpu import CpuMeter
from bench.stats import latency_row, percentile, rate_row, verdict
from sandbox.fake_systems import FakeWorld, local_activities, sample_order
from workers.devstack.devserver import DevServer, DevServerConfig
from workers.devstack.ports import free_port
from workers.config.logs import configure_logging
from workflows.order_saga import OrderSaga
from workflows.order_types import OrderSagaInput, order_workflow_id

Step = tuple[str, str]  # (queue role, activity type)
TARGET = 0.9  # saga / bare workflow with the same activity mix
NAIVE_TARGET = 1.5  # saga / the naive design: every step a remote activity


@dataclass
class Side:
    name: str
    meter: CpuMeter  # "bench" is this process: the client and every worker
    latencies: list[float] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0


async def activity_plan(client: Client, workflow_id: str) -> list[Step]:
    """The activities a finished workflow ran, in order, from its history:
    (queue role, activity type), with role `local` for a local activity."""
    steps = []
    async for event in client.get_workflow_handle(workflow_id).fetch_history_events():
        if event.HasField("activity_task_scheduled_event_attributes"):
            attrs = event.activity_task_scheduled_event_attributes
            steps.append((attrs.task_queue.name.partition("@")[0], attrs.activity_type.name))
        elif (event.HasField("marker_recorded_event_attributes")
              and event.marker_recorded_event_attributes.marker_name == LOCAL_MARKER):
            data = event.marker_recorded_event_attributes.details["data"].payloads[0].data
            steps.append((LOCAL, json.loads(data)["activity_type"]))
    return steps


@contextlib.asynccontextmanager
async def private_workers(client: Client, workflows: list[type], activities: dict[str, list],
                          tag: str, local: list | None = None
                          ) -> AsyncIterator[tuple[str, str]]:
    """A workflow worker (holding the `local` activities) and one activity
    worker per queue role, on private `role@tag-…` queues (as
    tests/workflows/saga_harness.py does). Yields (queue, suffix)."""
    suffix = f"@{tag}-{uuid.uuid4().hex[:6]}"
    queue = f"orders{suffix}"
    workers = [Worker(client, task_queue=queue, workflows=workflows,
                      activities=local if local is not None else local_activities(activities))]
    workers += [Worker(client, task_queue=f"{role}{suffix}", activities=acts)
                for role, acts in activities.items()]
    async with contextlib.AsyncExitStack() as stack:
        for w in workers:
            await stack.enter_async_context(w)
        yield queue, suffix


def bare_workers(client: Client, roles: set[str]):  # noqa: ANN201 (see private_workers)
    return private_workers(client, [BareWorkflow],
                           {role: [noop] for role in roles if role != LOCAL}, "bare", [noop])


def saga_workers(client: Client, world: FakeWorld):  # noqa: ANN201 (see private_workers)
    return private_workers(client, [OrderSaga], instant_warehouse(world), "saga")


def instant_warehouse(world: FakeWorld) -> dict[str, list]:
    """The fakes, with a sale that is shipped and invoiced the moment it is
    confirmed: the saga then runs straight through, with no durable timer,
    and what is measured is its engine cost alone."""
    acts = world.activities()
    defn = {f.__temporal_activity_definition.name: f for f in acts["erp"]}
    accept, get_sale = defn[refs.ERP_ACCEPT_ORDER.name], defn[refs.ERP_GET_SALE.name]

    @activity.defn(name=refs.ERP_ACCEPT_ORDER.name)
    async def accept_and_ship(inp: AcceptOrderInput) -> ErpSale:
        await accept(inp)
        return await get_sale(inp.external_ref)

    acts["erp"] = [accept_and_ship if f is accept else f for f in acts["erp"]]
    return acts


async def run_saga(client: Client, queue: str, woo_id: int) -> str:
    order = sample_order(woo_id)
    wid = order_workflow_id(order.store, woo_id)
    handle = await client.start_workflow(
        OrderSaga.run, OrderSagaInput(store=order.store, woo_order_id=woo_id), id=wid,
        task_queue=queue, start_signal="woo_order_updated", start_signal_args=[order])
    status = await handle.result()
    if status.stage != "closed":
        raise RuntimeError(f"{wid} ended in {status.stage}: {status.last_error}")
    return wid


def bare_queues(plan: list[Step], suffix: str) -> list[str]:
    """The bare workflow's steps for a saga's plan, on the bare workers' queues."""
    return [LOCAL if role == LOCAL else f"{role}{suffix}" for role, _ in plan]


async def run_bare(client: Client, queue: str, queues: list[str]) -> str:
    wid = f"bench-bare-{uuid.uuid4().hex}"
    ran = await client.execute_workflow(BareWorkflow.run, queues, id=wid, task_queue=queue)
    if ran != len(queues):
        raise RuntimeError(f"{wid} ran {ran} activities, expected {len(queues)}")
    return wid


async def closed_loop(count: int, concurrency: int, one: Callable[[int], Awaitable[object]],
                      side: Side) -> None:
    """`count` workflows, `concurrency` in flight at any time."""
    todo = iter(range(count))

    async def lane() -> None:
        for i in todo:
            started = time.perf_counter()
            await one(i)
            side.latencies.append(time.perf_counter() - started)

    side.meter.start()
    started = time.perf_counter()
    await asyncio.gather(*(lane() for _ in range(concurrency)))
    took = time.perf_counter() - started
    side.meter.stop()
    print(f"  {side.name:<34} {count / took:6.2f} workflows/s")
    side.elapsed += took


async def measure(client: Client, server_pid: int, workflows: int, concurrency: int,
                  rounds: int) -> None:
    ids = iter(range(10**8 + uuid.uuid4().int % 10**8, 3 * 10**8))  # unique woo ids per run
    async with saga_workers(client, FakeWorld()) as (saga_queue, _):
        plan = await activity_plan(client, await run_saga(client, saga_queue, next(ids)))
        roles = {role for role, _ in plan}
        print(f"OrderSaga happy path on the fakes runs {len(plan)} activities: "
              + ", ".join(f"{n} x {a}" for a, n in Counter(a for _, a in plan).items()))
        async with bare_workers(client, roles | {"ledger"}) as (bare_queue, suffix):
            queues = bare_queues(plan, suffix)
            # Today's naive design, as the saga was before its ledger writes went
            # local: every step a remote activity (the writes on the ledger queue).
            naive = [f"ledger{suffix}" if q == LOCAL else q for q in queues]
            await run_bare(client, bare_queue, queues)  # warm-up, like the saga above
            groups = {"server": server_pid}
            saga = Side("OrderSaga (fakes)", CpuMeter(groups))
            bare = Side(f"bare, same mix ({len(plan)} no-ops)", CpuMeter(groups))
            remote = Side(f"naive ({len(naive)} remote no-ops)", CpuMeter(groups))
            per_round = max(1, workflows // rounds)
            for r in range(rounds):
                print(f"round {r + 1}/{rounds}: {per_round} of each, {concurrency} in flight")
                steps = [(bare, lambda _: run_bare(client, bare_queue, queues)),
                         (remote, lambda _: run_bare(client, bare_queue, naive)),
                         (saga, lambda _: run_saga(client, saga_queue, next(ids)))]
                # ABC CBA: a drift in machine speed hits every side alike
                for side, one in steps if r % 2 == 0 else reversed(steps):
                    await closed_loop(per_round, concurrency, one, side)
    report(saga, bare, remote, concurrency)


def report(saga: Side, bare: Side, naive: Side, concurrency: int) -> None:
    print(f"\nengine overhead, {concurrency} in flight, same server, same run")
    sides = (naive, bare, saga)
    for side in sides:
        print(rate_row(side.name, len(side.latencies), side.elapsed, "workflows/s"))
    for side in sides:
        print(latency_row(f"  latency {side.name}", side.latencies, ps=(50, 95)))
    for side in sides:
        print(f"  {side.name:<32} " + side.meter.line(len(side.latencies), "workflow")
              + f"; other load {side.meter.spent['other'] / side.elapsed:.2f} cores")
    ratio = saga.rate / bare.rate
    print(f"ratio OrderSaga / bare with the same mix = {ratio:.2f} {verdict(ratio, TARGET)}")
    over_naive = saga.rate / naive.rate
    print(f"ratio OrderSaga / naive workflow = {over_naive:.2f} "
          f"{verdict(over_naive, NAIVE_TARGET)}")
    print(f"(p50 saga {percentile(saga.latencies, 50) * 1000:.0f} ms vs bare "
          f"{percentile(bare.latencies, 50) * 1000:.0f} ms)")


async def main(args: argparse.Namespace) -> None:
    configure_logging("WARNING", "console")
    with tempfile.TemporaryDirectory(prefix="wooerp-bench-") as tmp:
        config = DevServerConfig(port=free_port(), ui_port=None, http_port=free_port(),
                                 metrics_port=free_port())
        async with DevServer(config, log_file=Path(tmp) / "temporal.log") as server:
            client = await Client.connect(server.address, data_converter=pydantic_data_converter)
            await measure(client, server.pid, args.workflows, args.concurrency, args.rounds)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.overhead", description=__doc__.split("\n\n")[0])
    p.add_argument("--workflows", type=int, default=200, help="per side, over all rounds")
    p.add_argument("--concurrency", type=int, default=20, help="workflows in flight per side")
    p.add_argument("--rounds", type=int, default=4, help="bare and saga alternate this many times")
    return p.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
