"""bench.backfill: how fast `wooerp backfill` hands history to sagas and books it.

A private embedded stack (bench/stack.py: Temporal dev server, Tryton, the
sandbox store, `wooerp worker`), no webhooks connected. Orders are created
in the past with the store's admin clock, one business day per set, so each
measurement has its own range.

(a) paging: orders handed to sagas per second by a book-mode backfill (the
    page activity's signal-with-starts, window as wide as the set), against
    a plain script paging the same orders with the same client in the same
    run (keyset by date_modified, 100 a page, nothing else). Twice: the
    sandbox at full speed, and with 1 s of latency on each page (a remote
    store). Handed over = from the backfill's start to the last of its
    sagas' starts, both as the Temporal server recorded them (not when a
    progress query, answered by a worker busy with the new sagas, says so).
    Each latency runs twice: "sagas booking beside it" (the sagas start
    booking on the same two cores as the hand-over, as in production on one
    box), then "hand-over alone" (the worker process of the other queues is
    stopped with SIGSTOP until the last saga started, so the figure is the
    paging and hand-over the goal is about, not the CPU the bookings take).
    `--runs alone` (or `beside`) measures only one of the two.
(b) end to end: orders booked per second (every sale accepted by Tryton)
    by a backfill of window 20, against the direct ERP calls of
    bench.acceptance (bench/direct.py) for orders of the same shape, C at a
    time.

    .venv/bin/python -m bench.backfill [--orders 300] [--book-orders 100] [--concurrency 4]
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Iterator

import httpx

from bench.direct import run_direct
from bench.orders import Shop, order_specs
from bench.stack import bench_stack
from canonical.reconcile import business_day
from sandbox.store.history import in_the_past
from systems.erp.tryton.adapter import TrytonErp
from systems.woocommerce import mapping
from systems.woocommerce.client import WooClient
from activities.refs import Queue
from workers.config.logs import configure_logging
from workers.sagas.client import SagaClient
from workers.sagas.outcomes import NoAnswer
from workflows.backfill_types import BackfillInput, BackfillPolicy, BackfillProgress

STORE, BATCH = "default", 100
GMT = "%Y-%m-%dT%H:%M:%S"


def seed_day(shop: Shop, store_url: str, day: date, n: int, seed: int) -> list[dict[str, Any]]:
    """n paid, completed orders made on `day` (the store's clock set back);
    multi-line, unlike sandbox.store.history's, to page realistic bodies."""
    created: list[dict[str, Any]] = []
    with in_the_past(shop.api, store_url, datetime(day.year, day.month, day.day, 10)):
        specs = order_specs(n, seed=seed, phase=f"backfill-{day}")
        for start in range(0, n, BATCH):
            bodies = [{"payment_method": "sandbox_card", "set_paid": True, "status": "completed",
                       "billing": {"first_name": "Bench", "email": s.email, "country": "US"},
                       "line_items": [{"product_id": shop._product_ids[sku], "quantity": q}
                                      for sku, q in s.lines.items()]}
                      for s in specs[start:start + BATCH]]
            answer = shop._checked(shop.api.post("orders/batch", {"create": bodies}))
            created += [o for o in answer["create"] if "error" not in o]
    return created


def plain_paging(woo: WooClient, day: date) -> tuple[int, float]:
    """The baseline: every order of the day, page after page, nothing else done."""
    d = business_day(day, "UTC")
    after, seen, page_no = d.start - timedelta(seconds=1), 0, 1
    started = time.perf_counter()
    while True:
        page = woo.list_orders(after, page=page_no, per_page=100, modified_before=d.end)
        seen += len(page.items)
        if page_no >= page.total_pages:
            break
        page_no += 1
    return seen, time.perf_counter() - started


async def run_backfill(sagas: SagaClient, day: date, n: int, *, window: int,
                       until: str) -> tuple[BackfillProgress, float]:
    """Seconds until `until` (started: handed over; booked: every sale accepted) reaches n."""
    d = business_day(day, "UTC")
    inp = BackfillInput(store=STORE, first_day=day, last_day=day, start=d.start, end=d.end,
                        policy=BackfillPolicy(rate=1000, window=window))
    started = time.perf_counter()
    wid, _ = await sagas.start_backfill(inp)
    while True:
        try:
            p = await sagas.backfill_progress(wid)
        except NoAnswer:  # between two runs of a continue-as-new
            await asyncio.sleep(0.05)
            continue
        if getattr(p, until) >= n or p.done:
            return p, time.perf_counter() - started
        await asyncio.sleep(0.05)


async def handed_over_seconds(sagas: SagaClient, day: date, woo_ids: list[int]) -> float:
    """From the backfill's start to its last saga's start, by the server's clock."""
    temporal, sem = sagas.temporal, asyncio.Semaphore(32)

    async def started(wid: str) -> datetime:
        async with sem:
            return (await temporal.get_workflow_handle(wid).describe()).start_time

    backfill = await started(f"backfill:{STORE}:{day.isoformat()}:{day.isoformat()}")
    last = max(await asyncio.gather(*(started(SagaClient.order_workflow_id(STORE, i))
                                      for i in woo_ids)))
    return (last - backfill).total_seconds()


async def drained(sagas: SagaClient, day: date, limit: float = 600) -> None:
    """Wait until the day's backfill has every saga it started booked, so the
    next measurement does not share the machine with its bookings."""
    wid = f"backfill:{STORE}:{day.isoformat()}:{day.isoformat()}"
    deadline = time.perf_counter() + limit
    while time.perf_counter() < deadline:
        try:
            p = await sagas.backfill_progress(wid)
            if p.in_flight == 0 and p.booked >= p.started:
                return
        except NoAnswer:
            pass
        await asyncio.sleep(1)
    print(f"    ({wid} still booking after {limit:.0f} s; measuring anyway)")


# README Scale-out: the hand-over's queue in a worker process of its own.
SPLIT = [["orders", "woocommerce", "erp", "ledger"], ["sagas"]]


@contextlib.contextmanager
def held(pid: int | None) -> Iterator[None]:
    """The process stopped (SIGSTOP) while the block runs, then continued."""
    if pid is None:
        yield
        return
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


async def main_async(n: int, n_book: int, concurrency: int, seed: int, parts: str,
                     latencies: list[int], split: bool, holds: tuple[bool, ...]) -> None:
    holds = holds if split else (False,)
    runs_a = len(latencies) * len(holds) if "a" in parts else 0
    # One business day per measured set, so each has its own range.
    days = {f"a{i}": date(2021, 2, 1) + timedelta(days=i) for i in range(runs_a)}
    days |= {"book": date(2021, 1, 6), "direct": date(2021, 1, 7)}
    with tempfile.TemporaryDirectory() as tmp:
        async with bench_stack(Path(tmp), queues=SPLIT if split else None) as stack:
            print("workers: " + (" + ".join("/".join(q) for q in SPLIT) if split
                                 else "one process, every queue"))
            dev = stack.dev
            shop = Shop(dev.store_url, dev.secrets.consumer_key, dev.secrets.consumer_secret)
            shop.prepare()
            wanted = {*(k for k in days if k.startswith("a")),
                      *(("book", "direct") if "b" in parts else ())}
            sets = {k: await asyncio.to_thread(seed_day, shop, dev.store_url, day,
                                               n_book if k in ("book", "direct") else n, seed)
                    for k, day in days.items() if k in wanted}
            print("seeded " + ", ".join(f"{days[k]} {len(v)}" for k, v in sets.items()))
            woo, sagas = stack.woo(), await SagaClient.connect(dev.settings)
            while not (await sagas.task_queue_pollers(Queue.WORKFLOWS)
                       and await sagas.task_queue_pollers(Queue.SAGAS)):
                await asyncio.sleep(0.5)  # the worker is still starting
            conn = stack.erp
            erp = TrytonErp.from_password_file(conn.url, conn.database, conn.user,
                                               conn.password_file, timeout=300)
            if "b" in parts:
                orders = [mapping.order_from_woo(r, store=STORE) for r in sets["direct"]]
                for attempt in range(5):  # the ERP loads its database on the first login
                    try:
                        await erp.product_by_sku(orders[0].lines[0].sku or "")
                        break
                    except Exception:  # noqa: BLE001 - not ready yet
                        await asyncio.sleep(2)
                direct_s, _ = await run_direct(erp, orders, concurrency, "bench-direct")
                p, book_s = await run_backfill(sagas, days["book"], len(sets["book"]),
                                               window=20, until="booked")
                direct_rate, book_rate = len(orders) / direct_s, p.booked / book_s
                print(f"(b) end to end: direct ERP calls ({concurrency} at a time) "
                      f"{direct_rate:.2f} orders/s; backfill booked {p.booked} at "
                      f"{book_rate:.2f}/s; ratio {book_rate / direct_rate:.2f} (goal >= 0.8)")
                await drained(sagas, days["book"])
            await erp.aclose()
            faults = f"{dev.store_url}/__sandbox/faults"
            # Beside first, then alone (--runs): the held run also holds the
            # first's bookings, so only a beside run after another needs a
            # drain. A held run after a beside one shares the server with that
            # run's frozen sagas (their timeouts fire); `--runs alone` has none.
            runs = [(latency, hold) for latency in latencies for hold in holds]
            measured: list[date] = []
            for key, (latency, hold) in zip([f"a{i}" for i in range(runs_a)], runs):
                day = days[key]
                label = (f"{latency / 1000:g} s page latency" if latency else "full speed") + \
                    (", hand-over alone" if hold else ", sagas booking beside it" if split else "")
                if measured and not hold:
                    for earlier in measured:
                        await drained(sagas, earlier)
                httpx.put(faults, json={"latency_ms": latency, "rest_path": r"^orders$"},
                          timeout=30)
                try:
                    with held(stack.pid("worker") if hold else None):
                        seen, plain_s = await asyncio.to_thread(plain_paging, woo, day)
                        p, seen_s = await run_backfill(sagas, day, len(sets[key]),
                                                       window=len(sets[key]) + 1,
                                                       until="started")
                finally:
                    httpx.delete(faults, timeout=30)
                measured.append(day)
                bf_s = await handed_over_seconds(sagas, day, [o["id"] for o in sets[key]])
                plain_rate, bf_rate = seen / plain_s, p.started / bf_s
                print(f"(a) {label}: plain paging {seen} orders {plain_rate:.0f}/s; backfill "
                      f"handed {p.started} to sagas {bf_rate:.0f}/s; ratio "
                      f"{bf_rate / plain_rate:.2f} (goal >= 0.9); as the progress query "
                      f"saw it {p.started / seen_s / plain_rate:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--book-orders", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--parts", default="ab", help="a: paging, b: end to end (default both)")
    parser.add_argument("--latency-ms", default="0,1000",
                        help="(a)'s store latency per order listing, one or two runs")
    parser.add_argument("--runs", default="beside,alone",
                        help="(a)'s runs per latency, in this order: beside (sagas booking "
                             "beside the hand-over), alone (the other queues' worker stopped)")
    parser.add_argument("--one-worker", action="store_true",
                        help="every queue in one worker process (default: sagas apart)")
    args = parser.parse_args()
    latencies = [int(v) for v in args.latency_ms.split(",")][:2]
    runs = [r.strip() for r in args.runs.split(",") if r.strip()]
    if not runs or set(runs) - {"beside", "alone"}:
        parser.error("--runs takes beside and/or alone, e.g. --runs alone")
    configure_logging("WARNING", "console")  # the figures, not every Tryton call
    asyncio.run(main_async(args.orders, args.book_orders, args.concurrency, args.seed,
                           args.parts, latencies, not args.one_worker,
                           tuple(r == "alone" for r in runs)))


if __name__ == "__main__":
    main()
