"""What a /metrics scrape costs: 8 scrapers at once against the ingress, with
the saga gauges read at every scrape (as before: 9 Temporal count queries
each) and with the shared, 5-second cache (workers/ingress/saga_gauges.py).

One Temporal dev server (in memory) holding open sagas in the watched stages,
the ingress app in this process over ASGI, the same scrapers on both sides,
alternating in rounds (ABBA).

    .venv/bin/python -m bench.scrapes [--sagas 500] [--scrapers 8] [--seconds 10] [--rounds 2]
"""
from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes

from activities.refs import Queue
from bench.stats import latency_row, percentile
from workers.config.logs import configure_logging
from workers.config.settings import load_settings
from workers.devstack.devserver import DevServer, DevServerConfig
from workers.devstack.ports import free_port
from workers.ingress import saga_gauges
from workers.ingress.app import create_app
from workers.sagas.client import SagaClient
from workflows import search

STAGES = ["awaiting_erp", "awaiting_shipment", "awaiting_invoice", "needs_attention"]


class EveryScrape:
    """The gauges as they were read before the cache: at each scrape."""

    def __init__(self, link) -> None:  # noqa: ANN001 (a SagaLink)
        self._link = link

    async def refresh(self) -> None:
        await saga_gauges.refresh(await self._link.get())


async def seed(client: Client, queue: str, count: int) -> None:
    gate = asyncio.Semaphore(20)

    async def one(i: int) -> None:
        stage = STAGES[i % len(STAGES)]
        async with gate:
            await client.start_workflow(
                "OrderSaga", id=f"order:bench:{uuid.uuid4().hex}", task_queue=queue,
                search_attributes=TypedSearchAttributes([
                    SearchAttributePair(search.SAGA_STAGE, stage),
                    SearchAttributePair(search.NEEDS_ATTENTION, stage == "needs_attention")]))
    await asyncio.gather(*(one(i) for i in range(count)))


async def scrape_for(app, scrapers: int, seconds: float, latencies: list[float]) -> int:
    """`scrapers` clients scraping back to back for `seconds`; returns scrapes made."""
    deadline = time.perf_counter() + seconds
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://ingress", timeout=60) as http:
        async def scraper() -> int:
            made = 0
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                r = await http.get("/metrics")
                r.raise_for_status()
                latencies.append(time.perf_counter() - started)
                made += 1
            return made
        return sum(await asyncio.gather(*(scraper() for _ in range(scrapers))))


async def main(args: argparse.Namespace) -> None:
    configure_logging("WARNING", "console")
    with tempfile.TemporaryDirectory(prefix="wooerp-bench-") as tmp:
        config = DevServerConfig(port=free_port(), ui_port=None, http_port=free_port(),
                                 metrics_port=free_port())
        async with DevServer(config, log_file=Path(tmp) / "temporal.log") as server:
            settings = load_settings(data_dir=Path(tmp), temporal={"address": server.address,
                                                                   "deployment": "bench"})
            client = await Client.connect(server.address)
            await seed(client, settings.temporal.queue(Queue.WORKFLOWS), args.sagas)
            app = create_app(settings, relay_every=3600)
            queries = {"n": 0}
            count = SagaClient.count

            async def counted(self, query: str) -> int:  # noqa: ANN001
                queries["n"] += 1
                return await count(self, query)
            SagaClient.count = counted  # type: ignore[method-assign]
            sides = {"every scrape (before)": EveryScrape(app.state.sagas),
                     "cached 5 s (now)": saga_gauges.Cached(app.state.sagas, max_age=5)}
            results = {name: ([], [0, 0]) for name in sides}  # latencies, [scrapes, queries]
            names = list(sides)
            for r in range(args.rounds):
                for name in names if r % 2 == 0 else reversed(names):
                    app.state.saga_gauges = sides[name]
                    before = queries["n"]
                    made = await scrape_for(app, args.scrapers, args.seconds, results[name][0])
                    results[name][1][0] += made
                    results[name][1][1] += queries["n"] - before
                    print(f"  round {r + 1} {name:<24} {made} scrapes")
    print(f"\n/metrics, {args.scrapers} scrapers back to back, {args.sagas} open sagas, same run")
    for name, (latencies, (made, asked)) in results.items():
        print(latency_row(f"  {name}", latencies) + f"  {asked / made:6.3f} Temporal queries/scrape")
    (old, _), (new, _) = results.values()
    print(f"ratio p99 cached / every scrape = {percentile(new, 99) / percentile(old, 99):.3f}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.scrapes", description=__doc__.split("\n\n")[0])
    p.add_argument("--sagas", type=int, default=500, help="open sagas in visibility")
    p.add_argument("--scrapers", type=int, default=8, help="concurrent scrapers")
    p.add_argument("--seconds", type=float, default=10, help="per side per round")
    p.add_argument("--rounds", type=int, default=2)
    return p.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
