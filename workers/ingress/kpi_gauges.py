"""The seed's KPIs for /metrics, folded from the business event log over the
last day: the same figures the variance page shows next to its reports
(`systems/ledger/kpis.py`), here so that an alert can watch them.

The fold reads a month of events, so a scrape does not redo it each time:
`Cached` folds at most once per `every` seconds and keeps the last values
when the ledger does not answer."""
from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone

from prometheus_client import Gauge

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


def refresh(ledger: Ledger, stores: Iterable[str], now: datetime) -> None:
    """Sync (SQLAlchemy): call from a thread. A failure keeps the last values."""
    try:
        figures = {store: kpis(ledger, store, now - WINDOW, now, now) for store in stores}
    except Exception:  # a scrape must answer even when the ledger does not
        KPIS_UP.set(0)
        return
    for store, k in figures.items():
        _latency(ACCEPTANCE, ACCEPTED, store, k.acceptance)
        _latency(REFUND_CYCLE, REFUNDS_COMPLETED, store, k.refund_cycle)
        SHIPPED_NOT_INVOICED.labels(store).set(k.shipped_not_invoiced)
        OLDEST_UNINVOICED.labels(store).set(k.oldest_uninvoiced_seconds or 0)
    KPIS_UP.set(1)


class Cached:
    """Fold at most once per `every` seconds; concurrent scrapes share one fold."""

    def __init__(self, ledger: Ledger, stores: Iterable[str], *, every: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._ledger, self._stores, self._every, self._clock = ledger, list(stores), every, clock
        self._last: float | None = None
        self._lock = asyncio.Lock()

    async def refresh(self) -> None:
        async with self._lock:
            if self._last is not None and self._clock() - self._last < self._every:
                return
            await asyncio.to_thread(refresh, self._ledger, self._stores,
                                    datetime.now(timezone.utc))
            self._last = self._clock()
