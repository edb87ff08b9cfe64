"""Order acceptance: webhook accepted by the ingress -> ERP sale confirmed,
through the real path, beside the same ERP calls made directly.

A private stack (`wooerp dev` minus the warehouse: Temporal dev server,
Tryton, sandbox store, worker, ingress) runs on free loopback ports in a
temporary directory. In one run, on the same Tryton server:

1. direct: TrytonErp makes acceptance's ERP calls for N orders, C at a time
   (the multi-call path, an ERP without the wooerp_link module);
2. ERP floor: the wooerp_link module's one server-side acceptance call
   (`sale.sale.wooerp_accept`) for N orders, C at a time;
3. saga at max rate: N orders placed in the store through the `woocommerce`
   client, C in flight (the next is placed when one is accepted); store
   webhooks -> ingress -> Temporal -> worker -> Tryton;
4. saga at half the direct rate: orders placed at a steady rate of half
   what (1) measured, open loop.

`--workers N` runs N worker processes on the one Temporal server (scale-out).

    .venv/bin/python -m bench.acceptance [--orders 60] [--concurrency 4] [--seed 1] [--workers 1]
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from temporalio.client import Client

from bench.breakdown import Breakdown
from bench.cpu import CpuMeter
from bench import direct as direct_calls
from bench.direct import accept_directly, accept_floor, run_direct
from bench.orders import OrderSpec, Shop, order_specs
from bench.stack import BenchStack, bench_stack
from bench.stats import latency_row, percentile, rate_row, verdict
from bench.watch import Accepted, AcceptanceWatch
from systems.erp.tryton.adapter import TrytonErp
from systems.woocommerce.mapping import order_from_woo
from workers.config.logs import configure_logging
from workflows.order_types import order_workflow_id

THROUGHPUT_TARGET, FLOOR_TARGET, P99_TARGET = 1.2, 0.8, 1.0
ORDER_TIMEOUT = 120.0
CHILDREN = ("erp", "temporal", "store", "worker", "ingress")  # + worker-2.. with --workers


@dataclass
class Side:
    """One side's measured orders, over every round."""
    meter: CpuMeter
    elapsed: float = 0.0
    count: int = 0
    latencies: list[float] = field(default_factory=list)
    accepted: list[Accepted] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.count / self.elapsed


def chunks(items: list, parts: int) -> list[list]:
    size = -(-len(items) // parts)
    return [items[i:i + size] for i in range(0, len(items), size)]


class Acceptance:
    def __init__(self, stack: BenchStack, args: argparse.Namespace) -> None:
        self.stack, self.args = stack, args
        s = stack.dev.secrets
        self.shop = Shop(stack.dev.store_url, s.consumer_key, s.consumer_secret)
        self.watch = AcceptanceWatch(stack.ledger)
        workers = [f"worker-{n}" for n in range(2, args.workers + 1)]
        groups = {name: pid for name in (*CHILDREN, *workers) if (pid := stack.pid(name))}
        self.direct, self.floor = Side(CpuMeter(groups)), Side(CpuMeter(groups))
        self.saga = Side(CpuMeter(groups))

    async def run(self) -> None:
        a = self.args
        warm = 2 * a.concurrency
        await asyncio.to_thread(self.shop.prepare)
        conn = self.stack.erp
        erp = TrytonErp.from_password_file(conn.url, conn.database, conn.user,
                                           conn.password_file, timeout=60)
        watcher = None
        try:
            print(f"placing {warm + a.orders} orders for the direct side in the store "
                  "(its webhooks are not connected yet)")
            orders = [order_from_woo(raw, store="default") for raw in await self._place_all(
                order_specs(warm + a.orders, seed=a.seed, phase="direct"))]
            floor = [order_from_woo(raw, store="default") for raw in await self._place_all(
                order_specs(warm + a.orders, seed=a.seed, phase="floor"))]
            await asyncio.to_thread(self.stack.connect_webhooks)
            watcher = asyncio.create_task(self.watch.run())
            specs = order_specs(warm + a.orders, seed=a.seed, phase="saga")
            print(f"warm-up: {warm} orders each side")
            await run_direct(erp, orders[:warm], a.concurrency, "bench-direct")
            await run_direct(erp, floor[:warm], a.concurrency, "bench-floor", accept_floor)
            await self.closed_loop(specs[:warm])
            rounds = zip(chunks(orders[warm:], a.rounds), chunks(floor[warm:], a.rounds),
                         chunks(specs[warm:], a.rounds))
            for r, (direct_orders, floor_orders, saga_specs) in enumerate(rounds):
                # ABBA: a drift in machine speed hits every side alike
                steps = [lambda: self.direct_round(self.direct, erp, direct_orders, "direct"),
                         lambda: self.direct_round(self.floor, erp, floor_orders, "floor"),
                         lambda: self.saga_round(saga_specs)]
                for step in steps if r % 2 == 0 else reversed(steps):
                    await step()
                print(f"round {r + 1}/{a.rounds}: direct {self.direct.rate:.2f}, "
                      f"floor {self.floor.rate:.2f}, saga {self.saga.rate:.2f} orders/s so far")
            half = self.direct.rate / 2
            n_half = a.half_orders or max(10, a.orders // 2)
            print(f"saga path at half the direct rate: {n_half} orders at {half:.2f}/s")
            at_half, offered = await self.open_loop(
                order_specs(n_half, seed=a.seed, phase="half"), half)
        finally:
            if watcher is not None:
                watcher.cancel()
            await erp.aclose()
        self.report(at_half, offered)
        await self.explain({"at max rate": self.saga.accepted, "at half rate": at_half})

    # phases ---------------------------------------------------------------------
    async def direct_round(self, side: Side, erp: TrytonErp, orders: list, kind: str) -> None:
        side.meter.start()
        elapsed, latencies = await run_direct(
            erp, orders, self.args.concurrency, f"bench-{kind}",
            accept_floor if kind == "floor" else accept_directly)
        side.meter.stop()
        side.elapsed, side.count = side.elapsed + elapsed, side.count + len(orders)
        side.latencies += latencies

    async def saga_round(self, specs: list[OrderSpec]) -> None:
        side = self.saga
        side.meter.start()
        started = time.time()
        accepted = await self.closed_loop(specs)
        side.meter.stop()
        # until the last sale was confirmed, by the ledger's clock
        side.elapsed += max(r.accepted_at.timestamp() for r in accepted) - started
        side.count += len(accepted)
        side.latencies += [r.latency for r in accepted]
        side.accepted += accepted
        await asyncio.sleep(1)  # let the write-back webhooks of this round settle

    async def closed_loop(self, specs: list[OrderSpec]) -> list[Accepted]:
        todo, done = iter(specs), []

        async def lane() -> None:
            for spec in todo:
                done.append(await self._place_and_wait(spec))

        await asyncio.gather(*(lane() for _ in range(self.args.concurrency)))
        return done

    async def open_loop(self, specs: list[OrderSpec], rate: float) -> tuple[list[Accepted], float]:
        """Place orders at a steady `rate`, whatever happens to earlier ones."""
        loop = asyncio.get_running_loop()
        start, tasks = loop.time(), []
        for i, spec in enumerate(specs):
            await asyncio.sleep(max(0.0, start + i / rate - loop.time()))
            tasks.append(asyncio.create_task(self._place_and_wait(spec)))
        offered = (len(specs) - 1) / (loop.time() - start) if len(specs) > 1 else rate
        return list(await asyncio.gather(*tasks)), offered

    async def _place_and_wait(self, spec: OrderSpec) -> Accepted:
        raw = await asyncio.to_thread(self.shop.place, spec)
        return await self.watch.accepted(int(raw["id"]), ORDER_TIMEOUT)

    async def _place_all(self, specs: list[OrderSpec]) -> list[dict]:
        gate = asyncio.Semaphore(4)

        async def one(spec: OrderSpec) -> dict:
            async with gate:
                return await asyncio.to_thread(self.shop.place, spec)

        return list(await asyncio.gather(*(one(s) for s in specs)))

    # report ---------------------------------------------------------------------
    async def explain(self, phases: dict[str, list[Accepted]]) -> None:
        """Per activity: time waiting on its queue and running, from the histories."""
        client = await Client.connect(self.stack.dev.temporal.address)
        for name, accepted in phases.items():
            breakdown = Breakdown()
            await breakdown.add_all(client, (order_workflow_id("default", r.woo_id)
                                             for r in accepted))
            print(f"saga up to the accepted sale, {name}:")
            print("\n".join(breakdown.lines()))

    def report(self, at_half: list[Accepted], offered: float) -> None:
        a, direct, floor, saga = self.args, self.direct, self.floor, self.saga
        ratio = saga.rate / direct.rate
        p99 = percentile([r.latency for r in at_half], 99)
        print(f"\norder acceptance: {a.orders} orders per side in {a.rounds} rounds, "
              f"{a.concurrency} in flight, seed {a.seed}, {os.cpu_count()} CPUs, "
              f"{a.workers} worker process(es)")
        print(rate_row("direct TrytonErp calls", direct.count, direct.elapsed, "orders/s"))
        print(rate_row("ERP floor (wooerp_accept)", floor.count, floor.elapsed, "orders/s"))
        print(f"  (floor calls refused as a party race and retried: {direct_calls.floor_retries})")
        print(rate_row("saga path (store .. Tryton)", saga.count, saga.elapsed, "orders/s"))
        print(f"ratio saga / direct = {ratio:.2f} {verdict(ratio, THROUGHPUT_TARGET)}")
        to_floor = saga.rate / floor.rate
        print(f"ratio saga / ERP floor = {to_floor:.2f} {verdict(to_floor, FLOOR_TARGET)}")
        print("latency, webhook accepted by the ingress -> ERP sale confirmed:")
        print(latency_row(f"  at max rate ({a.concurrency} in flight)", saga.latencies))
        print(latency_row(f"  at half rate ({offered:.2f}/s offered)",
                          [r.latency for r in at_half])
              + f" {verdict(p99, P99_TARGET, at_least=False)}")
        print(latency_row("  (direct: the ERP calls alone)", direct.latencies))
        print(latency_row("  (ERP floor: the one call alone)", floor.latencies))
        for name, side in (("direct", direct), ("floor", floor), ("saga", saga)):
            print(f"{name:<7}" + side.meter.line(side.count)
                  + f"; other load {side.meter.spent['other'] / side.elapsed:.2f} cores")


async def main(args: argparse.Namespace) -> None:
    configure_logging("WARNING", "console")
    with contextlib.ExitStack() as cleanup:
        if args.data_dir is None:  # a fresh stack every run, removed afterwards
            data_dir = Path(cleanup.enter_context(tempfile.TemporaryDirectory(
                prefix="wooerp-bench-")))
        else:
            data_dir = args.data_dir
            data_dir.mkdir(parents=True, exist_ok=False)
        print(f"starting a private stack on free ports in {data_dir} (the first run ever "
              "builds the Tryton template, about 30 s)")
        async with bench_stack(data_dir, workers=args.workers) as stack:
            await Acceptance(stack, args).run()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.acceptance",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--orders", type=int, default=60, help="measured orders per side")
    p.add_argument("--concurrency", type=int, default=4, help="orders in flight per side")
    p.add_argument("--half-orders", type=int, default=0,
                   help="orders at half rate (default: orders / 2)")
    p.add_argument("--rounds", type=int, default=2,
                   help="direct and saga alternate (ABBA) this many times")
    p.add_argument("--seed", type=int, default=1, help="seed of the order mix")
    p.add_argument("--workers", type=int, default=1, choices=range(1, 9), metavar="1-8",
                   help="worker processes polling the task queues (scale-out)")
    p.add_argument("--data-dir", type=Path, default=None,
                   help="a new directory to run in and keep (logs, ledger); default: a "
                   "temporary one")
    return p.parse_args(argv)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main(parse_args()))
