"""The ledger's reconciliation tables, on SQLite and PostgreSQL: a run's
staging, its stored report (exact amounts, causes adding up), the newest
completed run per day, and the acceptance baseline folded from events."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from canonical import events as ev
from canonical.money import Money
from canonical.reconcile import (Cause, DayCompare, Recovery, SagaState, StoreOrder,
                                 business_day)
from systems.ledger import Ledger

DAY = date(2026, 11, 30)
T0 = datetime(2026, 11, 30, 10, tzinfo=timezone.utc)


def order(woo_id: int, store: str, total: str = "33.33") -> StoreOrder:
    amount = Decimal(total)
    return StoreOrder(store=store, woo_id=woo_id, status="processing", currency="EUR",
                      created_at=T0, modified_at=T0, paid=True, items=amount,
                      shipping=Decimal(0), fees=Decimal(0), tax=Decimal(0), total=amount,
                      refunded=Decimal(0), refunds=0, item_lines=1, other_lines=0)


def report(store: str, *orders: StoreOrder):
    compare = DayCompare(store, business_day(DAY, "UTC"), T0 + timedelta(hours=1))
    for o in orders:
        compare.add(order=o, sagas=[SagaState(
            workflow_id=f"order:{store}:{o.woo_id}", woo_id=o.woo_id, kind="order",
            stage="needs_attention", reason="SKU X is not mapped", since=T0, running=True)])
    return compare.reports()


def test_staging_upserts_by_key_and_streams_back(ledger: Ledger, uniq: str):
    run = f"reconcile:{uniq}:{DAY}@r1"
    assert ledger.reconcile_begin(run_key=run, workflow_id=f"reconcile:{uniq}:{DAY}", store=uniq,
                                  first_day=DAY, last_day=DAY)
    assert not ledger.reconcile_begin(run_key=run, workflow_id="x", store=uniq, first_day=DAY,
                                      last_day=DAY)  # a resumed run is the same run
    rows = [(str(n), order(n, uniq).row()) for n in range(1, 1201)]
    assert ledger.reconcile_stage(run, "store", rows) == 1200
    ledger.reconcile_stage(run, "store", [("7", order(7, uniq, total="1.00").row())])  # re-read
    assert ledger.reconcile_staged_count(run, "store") == 1200
    staged = {k: StoreOrder.from_row(p) for k, p in ledger.reconcile_staged(run, "store")}
    assert staged["7"].total == Decimal("1.00") and staged["1200"] == order(1200, uniq)
    assert ledger.reconcile_staged_count(run, "erp") == 0


def test_a_finished_run_keeps_its_report_exactly_and_drops_its_staging(ledger: Ledger, uniq: str):
    run = f"reconcile:{uniq}:{DAY}@r1"
    ledger.reconcile_begin(run_key=run, workflow_id=f"reconcile:{uniq}:{DAY}", store=uniq,
                           first_day=DAY, last_day=DAY)
    ledger.reconcile_stage(run, "store", [("1", order(1, uniq).row())])
    [day] = report(uniq, order(1, uniq), order(2, uniq, "0.10"))
    ledger.reconcile_finish(run, [day], {"orders_compared": 2})
    ledger.reconcile_finish(run, [day], {"orders_compared": 2})  # a retried attempt: same rows
    assert ledger.reconcile_staged_count(run, "store") == 0
    [stored] = ledger.variance_days(uniq, DAY, DAY)
    assert stored == day
    assert stored.difference == Money.of("33.43", "EUR")
    assert stored.by_cause() == {Cause.PARKED: Money.of("33.43", "EUR")}
    assert ledger.reconcile_run(run).status == "completed"
    assert ledger.reconcile_run(run).summary == {"orders_compared": 2}


def test_the_newest_completed_run_is_the_report_of_its_day(ledger: Ledger, uniq: str):
    wid = f"reconcile:{uniq}:{DAY}"
    for n, orders in ((1, [order(1, uniq)]), (2, [order(1, uniq), order(2, uniq)])):
        ledger.reconcile_begin(run_key=f"{wid}@r{n}", workflow_id=wid, store=uniq,
                               first_day=DAY, last_day=DAY)
        ledger.reconcile_finish(f"{wid}@r{n}", report(uniq, *orders), {})
    ledger.reconcile_begin(run_key=f"{wid}@r3", workflow_id=wid, store=uniq, first_day=DAY,
                           last_day=DAY)  # still running: not the report yet
    [day] = ledger.variance_days(uniq, DAY, DAY)
    assert day.orders_compared == 2 and len(day.variances) == 2
    ledger.reconcile_failed(f"{wid}@r3", "the store was down")
    assert ledger.reconcile_run(f"{wid}@r3").status == "failed"
    assert [r.run_key for r in ledger.reconcile_runs(uniq)] == [f"{wid}@r3", f"{wid}@r2",
                                                               f"{wid}@r1"]
    assert ledger.variance_days(uniq, DAY + timedelta(days=1), DAY + timedelta(days=3)) == []


def test_order_facts_are_the_acceptance_baseline(ledger: Ledger, uniq: str):
    wid = f"order:{uniq}:42"
    eur = lambda x: Money.of(x, "EUR")  # noqa: E731
    common = dict(recorded_at=T0, source_system="wooerp", correlation_id=wid)
    for event in (
        ev.OrderCaptured(event_id=f"{wid}:c", occurred_at=T0, store=uniq, woo_order_id=42,
                         total=eur("27.50"), **common),
        ev.PaymentAuthorized(event_id=f"{wid}:p", occurred_at=T0, amount=eur("27.50"), **common),
        ev.OrderAccepted(event_id=f"{wid}:a", occurred_at=T0, erp_document="SO9",
                         erp_total=eur("27.49"),
                         **{**common, "recorded_at": T0 + timedelta(minutes=1)}),
    ):
        ledger.append_event(event, type=event.type)
    facts = ledger.order_facts(uniq, [42, 43])
    assert set(facts) == {42}
    f = facts[42]
    assert (f.captured_at, f.captured_total, f.paid_amount, f.accepted_total, f.erp_document) == (
        T0, Decimal("27.50"), Decimal("27.50"), Decimal("27.49"), "SO9")
    assert f.accepted_at == T0 + timedelta(minutes=1) and not f.cancelled


def test_recoveries_round_trip_through_staging(ledger: Ledger, uniq: str):
    run = f"reconcile:{uniq}:{DAY}@r1"
    rec = Recovery(woo_id=5, workflow_id=f"order:{uniq}:5", known=False, note="signalled")
    ledger.reconcile_stage(run, "recovered", [("5", rec.row())])
    [(key, payload)] = list(ledger.reconcile_staged(run, "recovered"))
    assert key == "5" and Recovery.from_row(payload) == rec


def test_kpis_fold_the_event_log(ledger: Ledger, uniq: str):
    from systems.ledger.kpis import kpis

    eur = lambda x: Money.of(x, "EUR")  # noqa: E731

    def add(event, recorded_after: timedelta):
        ledger.append_event(event.model_copy(update={"recorded_at": T0 + recorded_after}),
                            type=event.type)

    for n, accept_after in ((1, 60), (2, 180)):
        wid = f"order:{uniq}:{n}"
        common = dict(recorded_at=T0, source_system="wooerp", correlation_id=wid)
        add(ev.OrderCaptured(event_id=f"{wid}:c", occurred_at=T0, store=uniq, woo_order_id=n,
                             total=eur("10.00"), **common), timedelta(0))
        add(ev.OrderAccepted(event_id=f"{wid}:a", occurred_at=T0, erp_document=f"SO{n}",
                             erp_total=eur("10.00"), **common), timedelta(seconds=accept_after))
        add(ev.ShipmentConfirmed(event_id=f"{wid}:s", occurred_at=T0, erp_shipment_id=n,
                                 **common), timedelta(hours=1))
    wid = f"order:{uniq}:1"
    add(ev.InvoicePosted(event_id=f"{wid}:i", occurred_at=T0, invoice_number="I1",
                         total=eur("10.00"), recorded_at=T0, source_system="erp",
                         correlation_id=wid), timedelta(hours=2))
    rid = f"refund:{uniq}:1:1"
    common = dict(recorded_at=T0, source_system="wooerp", correlation_id=rid)
    add(ev.RefundRequested(event_id=f"{rid}:r", occurred_at=T0, refund_ref=rid,
                           amount=eur("5.00"), requested_by="support", **common), timedelta(0))
    add(ev.RefundCompleted(event_id=f"{rid}:d", occurred_at=T0, refund_ref=rid,
                           amount=eur("5.00"), fully_refunded=False, **common),
        timedelta(minutes=30))
    figures = kpis(ledger, uniq, T0 - timedelta(hours=1), T0 + timedelta(days=1),
                   now=T0 + timedelta(hours=5))
    assert (figures.acceptance.count, figures.acceptance.p50_seconds,
            figures.acceptance.p95_seconds) == (2, 180.0, 180.0)
    assert (figures.refund_cycle.count, figures.refund_cycle.p50_seconds) == (1, 1800.0)
    assert figures.shipped_not_invoiced == 1  # order 2 shipped, not invoiced
    assert figures.oldest_uninvoiced_seconds == 4 * 3600.0
