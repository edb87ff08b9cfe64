"""What the payload codec costs: OrderSaga on zero-latency fakes with the
product's converter plain, and with AES-256-GCM on every payload and failure.

Both sides run on one Temporal dev server (in memory, the product's latency
flags), in one process, at the same concurrency, alternating in rounds
(ABBA) so machine noise hits both alike; each side has its own client and
workers, the only difference being the converter (workers/sagas/codec.py).

    .venv/bin/python -m bench.codec [--workflows 200] [--concurrency 20] [--rounds 4]
"""
from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from pathlib import Path

from temporalio.client import Client

from bench.cpu import CpuMeter
from bench.overhead import Side, closed_loop, run_saga, saga_workers
from bench.stats import latency_row, rate_row
from sandbox.fake_systems import FakeWorld, sample_order
from workers.config.keyring import KeyRing, new_key_line
from workers.config.logs import configure_logging
from workers.devstack.devserver import DevServer, DevServerConfig
from workers.devstack.ports import free_port
from workers.sagas.codec import data_converter


async def payload_cost(rounds: int = 2000) -> None:
    """One Order through encode + decode, per converter (CPU only, no server)."""
    order = sample_order(1)
    costs = {}
    for name, conv in (("plain", data_converter(None)),
                       ("encrypted", data_converter(KeyRing.parse(new_key_line())))):
        started = time.perf_counter()
        for _ in range(rounds):
            await conv.decode(await conv.encode([order]), [type(order)])
        costs[name] = (time.perf_counter() - started) / rounds
        print(f"  one Order encode+decode, {name:<9} {costs[name] * 1e6:6.0f} us")
    print(f"  ratio encrypted / plain = {costs['encrypted'] / costs['plain']:.2f} (per payload)")


async def measure(plain: Client, encrypted: Client, server_pid: int, workflows: int,
                  concurrency: int, rounds: int) -> None:
    ids = iter(range(10**8 + uuid.uuid4().int % 10**8, 3 * 10**8))
    groups = {"server": server_pid}
    sides = {"plain": Side("pydantic converter", CpuMeter(groups)),
             "encrypted": Side("pydantic + AES-256-GCM codec", CpuMeter(groups))}
    async with saga_workers(plain, FakeWorld()) as (plain_queue, _), \
            saga_workers(encrypted, FakeWorld()) as (encrypted_queue, _):
        runs = {"plain": lambda _: run_saga(plain, plain_queue, next(ids)),
                "encrypted": lambda _: run_saga(encrypted, encrypted_queue, next(ids))}
        for name in runs:  # warm-up
            await runs[name](0)
        per_round = max(1, workflows // rounds)
        order = ["plain", "encrypted"]
        for r in range(rounds):
            print(f"round {r + 1}/{rounds}: {per_round} of each, {concurrency} in flight")
            for name in order if r % 2 == 0 else reversed(order):
                await closed_loop(per_round, concurrency, runs[name], sides[name])
    base, coded = sides["plain"], sides["encrypted"]
    print(f"\npayload codec, OrderSaga on fakes, {concurrency} in flight, same server, same run")
    for side in (base, coded):
        print(rate_row(side.name, len(side.latencies), side.elapsed, "workflows/s"))
    for side in (base, coded):
        print(latency_row(f"  latency {side.name}", side.latencies, ps=(50, 95)))
    for side in (base, coded):
        print(f"  {side.name:<32} " + side.meter.line(len(side.latencies), "workflow"))
    print(f"ratio encrypted / plain = {coded.rate / base.rate:.2f} (throughput)")


async def main(args: argparse.Namespace) -> None:
    configure_logging("WARNING", "console")
    await payload_cost()
    with tempfile.TemporaryDirectory(prefix="wooerp-bench-") as tmp:
        config = DevServerConfig(port=free_port(), ui_port=None, http_port=free_port(),
                                 metrics_port=free_port())
        async with DevServer(config, log_file=Path(tmp) / "temporal.log") as server:
            plain = await Client.connect(server.address, data_converter=data_converter(None))
            ring = KeyRing.parse(new_key_line())
            encrypted = await Client.connect(server.address, data_converter=data_converter(ring))
            await measure(plain, encrypted, server.pid, args.workflows, args.concurrency,
                          args.rounds)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.codec", description=__doc__.split("\n\n")[0])
    p.add_argument("--workflows", type=int, default=200, help="per side, over all rounds")
    p.add_argument("--concurrency", type=int, default=20, help="workflows in flight per side")
    p.add_argument("--rounds", type=int, default=4, help="the sides alternate this many times")
    return p.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
