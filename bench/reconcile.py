"""bench.reconcile: the cost of reconciling a business day.

(a) In-process, no I/O: N store orders, their ERP documents, sagas and
    ledger facts as snapshots (a seeded mix: 1-3 lines, shipping on 70 %, a
    small share of each drift), compared by canonical.reconcile.DayCompare.
    Baseline of the same run: the bare join (every lookup and sum any compare
    must do, without causes or reports). Prints orders/s, compare/join, and
    peak memory (tracemalloc over generating + comparing; and the process's
    peak RSS).
(a') --staged: the same day through the compare activity itself: the
    snapshots staged as JSON rows in a SQLite ledger (as the page activities
    leave them), read back, compared, the report stored. Baseline: staging the
    rows (what reading the pages costs the ledger anyway).

    .venv/bin/python -m bench.reconcile [--orders 100000] [--drift 0.01] [--seed 1]
                                        [--staged] [--trace]

(b) On the real pieces (sandbox store, Tryton, Temporal, `wooerp worker`):
    not automated here; see bench/README.md for what was and was not run.
"""
from __future__ import annotations

import argparse
import gc
import random
import resource
import tempfile
import time
import tracemalloc
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from activities.reconcile import ERP, SAGA, STORE, ReconcileLedgerActivities
from activities.reconcile_contracts import CompareInput, ReconcileWindow
from canonical.reconcile import (DayCompare, ErpDocument, LedgerFacts, SagaState, StoreOrder,
                                 business_day)
from systems.ledger import Ledger

DAY = business_day(date(2026, 11, 30), "Europe/Paris")
NOW = DAY.end + timedelta(hours=2)
PRICES = [Decimal(p) for p in ("9.99", "12.50", "18.00", "20.00", "45.00")]
CENT, ZERO, SHIPPING = Decimal("0.01"), Decimal(0), Decimal("5.00")


def generate(n: int, drift: float, seed: int):
    rng = random.Random(seed)
    store, erp, sagas, facts = [], {}, {}, {}
    for woo_id in range(1, n + 1):
        lines = rng.randint(1, 3)
        items = sum((rng.choice(PRICES) * rng.randint(1, 3) for _ in range(lines)), Decimal(0))
        shipping = SHIPPING if rng.random() < 0.7 else ZERO
        tax = ((items + shipping) * Decimal("0.10")).quantize(CENT)
        created = DAY.start + timedelta(seconds=rng.randrange(86400))
        o = StoreOrder(store="bench", woo_id=woo_id, status="processing", currency="EUR",
                       created_at=created, modified_at=created + timedelta(minutes=3),
                       paid=True, items=items, shipping=shipping, fees=ZERO, tax=tax,
                       total=items + shipping + tax, refunded=ZERO, refunds=0,
                       item_lines=lines, other_lines=1 if shipping else 0,
                       erp_document=f"SO{woo_id}")
        e = ErpDocument(ref=f"woo:bench:{woo_id}", woo_id=woo_id, erp_id=woo_id,
                        document=f"SO{woo_id}", state="processing", cancelled=False,
                        shipped=False, currency="EUR", items=items, shipping=shipping,
                        fees=ZERO, tax=tax, total=o.total, invoiced=ZERO,
                        invoices=0, credited=ZERO, credit_notes=0,
                        credited_posted=ZERO, item_lines=lines,
                        other_lines=o.other_lines, created_at=created + timedelta(minutes=1))
        s = SagaState(workflow_id=f"order:bench:{woo_id}", woo_id=woo_id, kind="order",
                      stage="awaiting_shipment", reason=None, since=created, running=True)
        f = LedgerFacts(woo_id=woo_id, captured_at=created, captured_total=o.total,
                        paid_amount=o.total, accepted_at=created + timedelta(minutes=1),
                        accepted_total=o.total, erp_document=f"SO{woo_id}")
        roll = rng.random()
        if roll < drift:  # missing in the ERP, saga in flight
            e = None
            s = replace(s, stage="awaiting_erp")
        elif roll < 2 * drift:  # edited in the ERP
            e = replace(e, items=e.items + 1, total=e.total + 1)
        elif roll < 3 * drift:  # ERP rounding
            e = replace(e, tax=e.tax - CENT, total=e.total - CENT)
            f = replace(f, accepted_total=e.total)
        elif roll < 4 * drift:  # parked
            e = None
            s = replace(s, stage="needs_attention", reason="SKU WOO-X is not mapped")
        store.append(o)
        if e is not None:
            erp[woo_id] = e
        sagas[woo_id] = [s]
        facts[woo_id] = f
    return store, erp, sagas, facts


def join_only(store, erp, sagas, facts) -> Decimal:
    """The baseline: every lookup and sum of the compare, without its causes."""
    total = Decimal(0)
    for o in store:
        e = erp.get(o.woo_id)
        sagas.get(o.woo_id)
        facts.get(o.woo_id)
        total += o.net - (e.net if e is not None else 0)
    return total


def compare(store, erp, sagas, facts):
    day = DayCompare("bench", DAY, NOW)
    for o in store:
        day.add(order=o, erp=erp.get(o.woo_id), sagas=sagas.get(o.woo_id, ()),
                facts=facts.get(o.woo_id))
    return day.reports()


def timed(fn, *args):
    gc.collect()
    started = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - started


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def in_process(n: int, drift: float, seed: int, trace: bool) -> None:
    base = peak_rss_mb()  # the interpreter and its imports
    (store, erp, sagas, facts), gen_s = timed(generate, n, drift, seed)
    difference, join_s = timed(join_only, store, erp, sagas, facts)
    [report], compare_s = timed(compare, store, erp, sagas, facts)
    grown = peak_rss_mb() - base
    assert difference == report.difference.amount
    print(f"(a) in-process compare of {n} orders ({len(report.variances)} variances, "
          f"unexplained {report.unexplained})")
    print(f"    generate {gen_s:.1f} s; join only (baseline) {join_s:.2f} s; "
          f"compare {compare_s:.2f} s = {n / compare_s:,.0f} orders/s; "
          f"compare / join = {compare_s / join_s:.1f}")
    print(f"    memory: peak RSS grew {grown:.0f} MB over the {base:.0f} MB of the interpreter "
          f"and its imports (the day's snapshots and the compare)")
    if trace:
        del store, erp, sagas, facts
        gc.collect()
        tracemalloc.start()
        store, erp, sagas, facts = generate(n, drift, seed)
        held = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        compare(store, erp, sagas, facts)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"    tracemalloc: snapshots {held / 2**20:.0f} MB, peak while comparing "
              f"{peak / 2**20:.0f} MB")
    met = compare_s < 60 and grown < 300
    print(f"    goal (< 60 s, < 300 MB): {'met' if met else 'NOT met'}")


def staged(n: int, drift: float, seed: int) -> None:
    store, erp, sagas, _ = generate(n, drift, seed)
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Ledger(f"sqlite:///{Path(tmp) / 'ledger.sqlite'}")
        ledger.migrate()
        run = "reconcile:bench:2026-11-30@bench"
        ledger.reconcile_begin(run_key=run, workflow_id="reconcile:bench:2026-11-30",
                               store="bench", first_day=DAY.day, last_day=DAY.day)
        started = time.perf_counter()
        ledger.reconcile_stage(run, STORE, [(str(o.woo_id), o.row()) for o in store])
        ledger.reconcile_stage(run, ERP, [(str(k), e.row()) for k, e in erp.items()])
        ledger.reconcile_stage(run, SAGA, [(s[0].workflow_id, s[0].row())
                                           for s in sagas.values()])
        stage_s = time.perf_counter() - started
        del store, erp, sagas
        gc.collect()
        window = ReconcileWindow(store="bench", first_day=DAY.day, last_day=DAY.day,
                                 timezone="Europe/Paris", start=DAY.start, end=DAY.end)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started = time.perf_counter()
        result = ReconcileLedgerActivities(ledger).compare(
            CompareInput(run_key=run, window=window, now=NOW))
        compare_s = time.perf_counter() - started
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        ledger.close()
    print(f"(a') compare activity over a SQLite ledger: {result.orders_compared} orders, "
          f"{result.days[0].variances} variances")
    print(f"    staging the rows (baseline) {stage_s:.1f} s; compare activity {compare_s:.1f} s "
          f"= {result.orders_compared / compare_s:,.0f} orders/s; compare / staging = "
          f"{compare_s / stage_s:.2f}; process peak RSS {rss:.0f} MB (before: {rss_before:.0f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--drift", type=float, default=0.01, help="share of each drift")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--staged", action="store_true", help="also run (a') on SQLite")
    parser.add_argument("--trace", action="store_true", help="also measure with tracemalloc")
    args = parser.parse_args()
    print(f"bench.reconcile: {datetime.now(timezone.utc):%Y-%m-%d %H:%M}Z")
    in_process(args.orders, args.drift, args.seed, args.trace)
    if args.staged:
        staged(args.orders, args.drift, args.seed)


if __name__ == "__main__":
    main()
