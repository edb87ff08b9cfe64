"""Reconciliation gauges for /metrics, read from the ledger at each scrape:
the newest completed run of each configured store, so an alert can fire on
unexplained money or on a reconciliation that stopped running."""
from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import Gauge

from canonical.reconcile import Cause
from systems.ledger.store import Ledger

UNEXPLAINED = Gauge("wooerp_reconcile_unexplained_amount",
                    "Unexplained commerce-vs-ERP amount (absolute) in the newest completed "
                    "reconciliation; alert on > 0", ["store", "currency"])
VARIANCE = Gauge("wooerp_reconcile_variance_amount",
                 "Commerce minus ERP in the newest completed reconciliation",
                 ["store", "currency"])
EXCEPTIONS = Gauge("wooerp_reconcile_exceptions",
                   "Variances in the newest completed reconciliation, by cause",
                   ["store", "cause"])
LAST_SUCCESS = Gauge("wooerp_reconcile_last_success_timestamp_seconds",
                     "When the newest reconciliation of the store completed (Unix time)",
                     ["store"])
LEDGER_UP = Gauge("wooerp_reconcile_gauges_up",
                  "1 if the reconciliation gauges were read from the ledger at the last scrape")


def refresh(ledger: Ledger, stores: Iterable[str]) -> None:
    """Sync (SQLAlchemy): call from a thread. A failure keeps the last values."""
    try:
        latest = {store: ledger.reconcile_latest(store) for store in stores}
    except Exception:  # a scrape must answer even when the ledger does not
        LEDGER_UP.set(0)
        return
    for store, found in latest.items():
        if found is None:
            continue
        run, days = found
        unexplained: dict[str, float] = {}
        variance: dict[str, float] = {}
        causes = {c.value: 0 for c in Cause}
        for d in days:
            unexplained[d.currency] = unexplained.get(d.currency, 0.0) + float(
                d.unexplained_abs.amount)
            variance[d.currency] = variance.get(d.currency, 0.0) + float(d.difference.amount)
            for v in d.variances:
                causes[v.cause.value] += 1
        for currency, amount in unexplained.items():
            UNEXPLAINED.labels(store, currency).set(amount)
            VARIANCE.labels(store, currency).set(variance[currency])
        for cause, n in causes.items():
            EXCEPTIONS.labels(store, cause).set(n)
        if run.finished_at is not None:
            LAST_SUCCESS.labels(store).set(run.finished_at.timestamp())
    LEDGER_UP.set(1)
