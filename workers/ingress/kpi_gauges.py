"""The seed's KPIs for /metrics, folded from the business event log over the
last day: the same figures the variance page shows next to its reports
(`systems/ledger/kpis.py`), here so that an alert can watch them.

The fold reads a month of events, so a scrape does not redo it each time:
`Cached` folds at most once per `every` seconds and keeps the last values
when the ledger does not answer.

The inventory sync's figures come from its latest full comparison
(`inventory_checks`); its lag histogram observes each InventoryAdjusted
once per process, from a cursor the cache keeps."""
from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone

from prometheus_client import Gauge, Histogram

from systems.ledger.kpis import Latency, kpis
from systems.ledger.store import Ledger

WINDOW = timedelta(days=1)  # latencies of the orders/refunds that completed in it

ACCEPTANCE = Gauge("wooerp_order_acceptance_latency_seconds",
                   "Store order date to ERP acceptance, orders accepted in the last day",
                   ["store", "quantile"])
ACCEPTED = Gauge("wooerp_orders_accepted_last_day", "Orders the ERP accepted in the last day",
                 ["store"])
REFUND_CYCLE = Gauge("wooerp_refund_cycle_time_seconds",
                     "Refund requested to completed, refunds completed in the last day",
                     ["store", "quantile"])
REFUNDS_COMPLETED = Gauge("wooerp_refunds_completed_last_day",
                          "Refunds completed in the last day", ["store"])
SHIPPED_NOT_INVOICED = Gauge("wooerp_shipped_not_invoiced",
                             "Orders shipped with no posted invoice yet", ["store"])
OLDEST_UNINVOICED = Gauge("wooerp_shipped_not_invoiced_oldest_seconds",
                          "How long the oldest shipped, uninvoiced order has waited (0: none)",
                          ["store"])
INVENTORY_ACCURACY = Gauge(
    "wooerp_inventory_sync_accuracy",
    "Share of SKUs where the store showed exactly what the ERP can sell, at the latest full "
    "comparison (before it repaired them)", ["store"])
INVENTORY_OUT_OF_STEP = Gauge(
    "wooerp_inventory_skus_out_of_step",
    "SKUs the latest full comparison found out of step (repaired or not)", ["store"])
INVENTORY_UNRESOLVED = Gauge(
    "wooerp_inventory_skus_unresolved",
    "SKUs the latest comparison could not put in step (the store refused the push)", ["store"])
# ERP change (the notification's moment, or the comparison that found it) to
# the store updated, per InventoryAdjusted: observed once each by this process.
SYNC_LAG = Histogram("wooerp_inventory_sync_lag_seconds",
                     "ERP stock change to the store's stock updated", ["store"],
                     buckets=(0.5, 1, 2, 3, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 86400))
KPIS_UP = Gauge("wooerp_kpi_gauges_up",
                "1 if the KPI gauges were folded from the ledger at the last refresh")


def _latency(gauge: Gauge, count: Gauge, store: str, latency: Latency) -> None:
    count.labels(store).set(latency.count)
    for quantile, value in (("0.5", latency.p50_seconds), ("0.95", latency.p95_seconds)):
        if value is not None:
            gauge.labels(store, quantile).set(value)
        else:  # no sample: no figure, rather than a misleading 0
            with contextlib.suppress(KeyError):
                gauge.remove(store, quantile)


def refresh(ledger: Ledger, stores: Iterable[str], now: datetime,
            lag_cursor: dict[str, datetime] | None = None) -> None:
    """Sync (SQLAlchemy): call from a thread. A failure keeps the last values.
    `lag_cursor` (per store: adjustments observed up to there) is advanced."""
    stores = list(stores)
    try:
        figures = {store: kpis(ledger, store, now - WINDOW, now, now) for store in stores}
        lags = {}
        if lag_cursor is not None:
            for store in stores:
                since = lag_cursor.get(store, now - WINDOW)
                lags[store] = ledger.inventory_lags(store, since, until=now)
                lag_cursor[store] = now
    except Exception:  # a scrape must answer even when the ledger does not
        KPIS_UP.set(0)
        return
    for store, samples in lags.items():
        for seconds in samples:
            SYNC_LAG.labels(store).observe(seconds)
    for store, k in figures.items():
        _latency(ACCEPTANCE, ACCEPTED, store, k.acceptance)
        _latency(REFUND_CYCLE, REFUNDS_COMPLETED, store, k.refund_cycle)
        SHIPPED_NOT_INVOICED.labels(store).set(k.shipped_not_invoiced)
        OLDEST_UNINVOICED.labels(store).set(k.oldest_uninvoiced_seconds or 0)
        if k.inventory is not None and k.inventory.accuracy is not None:
            INVENTORY_ACCURACY.labels(store).set(k.inventory.accuracy)
            INVENTORY_OUT_OF_STEP.labels(store).set(k.inventory.compared - k.inventory.in_step)
            INVENTORY_UNRESOLVED.labels(store).set(k.inventory.unresolved)
    KPIS_UP.set(1)


class Cached:
    """Fold at most once per `every` seconds; concurrent scrapes share one fold."""

    def __init__(self, ledger: Ledger, stores: Iterable[str], *, every: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._ledger, self._stores, self._every, self._clock = ledger, list(stores), every, clock
        self._last: float | None = None
        self._lock = asyncio.Lock()
        self._lags: dict[str, datetime] = {}

    async def refresh(self) -> None:
        async with self._lock:
            if self._last is not None and self._clock() - self._last < self._every:
                return
            await asyncio.to_thread(refresh, self._ledger, self._stores,
                                    datetime.now(timezone.utc), self._lags)
            self._last = self._clock()
