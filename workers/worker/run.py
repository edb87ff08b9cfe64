"""The wooerp worker process: workflows on the `orders` queue, activities on
one queue per system, each queue rate-limited on its own.

Workers are stateless; run as many processes as the load needs. SIGTERM or
Ctrl-C stops polling, lets running activities finish (up to
`temporal.graceful_shutdown_seconds`) and exits.
"""
from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker

from activities import refs
from activities.refs import Queue
from workers.worker import registry
from workers.config.logs import get_logger
from workers.worker.resources import Resources
from workers.config.settings import Settings
from workers.sagas import inventory
from workers.sagas.connect import connect

log = get_logger(__name__)

# A killed worker's sticky workflow tasks wait this long before another worker
# takes them; 1 s instead of 10 s cut recovery from 15 s to 6 s (NOTES.md).
STICKY_TIMEOUT = timedelta(seconds=1)


def build_workers(
    client: Client,
    settings: Settings,
    resources: Resources,
    *,
    workflows: Iterable[type] | None = None,
    activities: dict[Queue, list[registry.ActivityFactory]] | None = None,
    queues: Iterable[Queue] | None = None,
) -> tuple[list[Worker], list[ThreadPoolExecutor]]:
    """One Worker per task queue that has something to run; with `queues`,
    for those queues only (a process per queue where one must not share
    its CPU with the others, e.g. `sagas` beside the workflows)."""
    polled = set(Queue) if queues is None else set(queues)
    orchestrators = registry.ORCHESTRATORS if workflows is None else {}
    workflows = list(registry.WORKFLOWS if workflows is None else workflows)
    if Queue.WORKFLOWS not in polled:
        workflows = []
    activities = registry.ACTIVITIES if activities is None else activities
    grace = timedelta(seconds=settings.temporal.graceful_shutdown_seconds)
    workers: list[Worker] = []
    executors: list[ThreadPoolExecutor] = []
    threads = settings.temporal.activity_threads
    by_queue = {queue: [fn for factory in factories for fn in factory(resources)]
                for queue, factories in activities.items()}
    if workflows:
        # Local activities run in the workflow's worker: it must hold them too.
        local = [fn for fns in by_queue.values() for fn in fns
                 if registry.definition_name(fn) in refs.LOCAL]
        pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="act-local")
        executors.append(pool)
        workers.append(Worker(client, task_queue=settings.temporal.queue(Queue.WORKFLOWS),
                              workflows=workflows, activities=local, activity_executor=pool,
                              sticky_queue_schedule_to_start_timeout=STICKY_TIMEOUT,
                              graceful_shutdown_timeout=grace))
    for queue, functions in by_queue.items():
        if not functions or queue not in polled:
            continue
        # Sync activities (SQLAlchemy, the woocommerce client) run in this pool.
        pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix=f"act-{queue.value}")
        executors.append(pool)
        workers.append(Worker(
            client, task_queue=settings.temporal.queue(queue), activities=functions,
            workflows=orchestrators.get(queue, []),
            sticky_queue_schedule_to_start_timeout=STICKY_TIMEOUT,
            activity_executor=pool, max_concurrent_activities=threads,
            max_task_queue_activities_per_second=settings.temporal.activities_per_second.for_queue(queue),
            graceful_shutdown_timeout=grace))
    return workers, executors


async def _start_inventory_syncs(client: Client, settings: Settings) -> None:
    """Each store's InventorySync runs while any worker does: its hourly full
    comparison must not wait for a first ERP notification. A failure is
    logged, never fatal: the next worker start, or the first event, starts it."""
    for store in settings.stores:
        try:
            await inventory.ensure_running(client, settings, store)
        except Exception as exc:  # noqa: BLE001
            log.warning("inventory sync not started", store=store, error=str(exc)[:200])


async def run_worker(settings: Settings, *, stop: asyncio.Event | None = None,
                     client: Client | None = None, install_signal_handlers: bool = True,
                     queues: Iterable[Queue] | None = None) -> None:
    """Run until `stop` is set (or SIGTERM/SIGINT), then shut down gracefully;
    `queues`: poll only those (default: every queue)."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM) if install_signal_handlers else ()
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    resources = Resources(settings)
    executors: list[ThreadPoolExecutor] = []
    try:
        client = client or await connect(settings.temporal)
        workers, executors = build_workers(client, settings, resources, queues=queues)
        runs = [asyncio.create_task(w.run(), name=f"worker:{w.task_queue}") for w in workers]
        log.info("worker running", address=settings.temporal.address,
                 task_queues=[w.task_queue for w in workers])
        # In the background: the workers poll whatever Temporal takes to answer it.
        syncs = asyncio.create_task(_start_inventory_syncs(client, settings))
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({stopping, *runs}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        syncs.cancel()
        log.info("worker stopping")
        await asyncio.gather(*(w.shutdown() for w in workers if w.is_running),
                             return_exceptions=True)
        # A worker that stopped on its own (fatal poll error) is re-raised here.
        for result in await asyncio.gather(*runs, return_exceptions=True):
            if isinstance(result, BaseException) and not isinstance(result, asyncio.CancelledError):
                raise result
        log.info("worker stopped")
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
        for pool in executors:
            pool.shutdown(wait=False, cancel_futures=True)
        await resources.aclose()
