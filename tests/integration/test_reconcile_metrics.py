"""/metrics carries the newest reconciliation of each store -- unexplained
money (what an alert fires on), the variance, exceptions by cause, and when
the last run completed -- and the seed's KPIs of the last day."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from starlette.testclient import TestClient

from canonical import events as ev
from canonical.money import Money
from canonical.reconcile import DayCompare, StoreOrder, business_day
from systems.ledger import Ledger
from workers.config.settings import load_settings
from workers.ingress.app import create_app

DAY = date(2026, 11, 30)
T0 = datetime(2026, 11, 30, 10, tzinfo=timezone.utc)


def gauge(text: str, name: str, **labels: str) -> float | None:
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    where = re.escape(f"{{{want}}}") if want else ""
    found = re.search(rf"^{name}{where} (\S+)$", text, re.M)
    return float(found.group(1)) if found else None


def test_metrics_show_unexplained_money_and_the_last_run(tmp_path, temporal_address):
    store = "metrics"
    settings = load_settings(data_dir=tmp_path, temporal={"address": temporal_address},
                             stores={store: {"url": "http://127.0.0.1:9", "consumer_key": "k",
                                             "consumer_secret": "s"}})
    ledger = Ledger(settings.database_url)
    ledger.migrate()
    order = StoreOrder(store=store, woo_id=1, status="processing", currency="EUR",
                       created_at=T0, modified_at=T0, paid=True, items=Decimal("27.50"),
                       shipping=Decimal(0), fees=Decimal(0), tax=Decimal(0),
                       total=Decimal("27.50"), refunded=Decimal(0), refunds=0, item_lines=1,
                       other_lines=0)
    day = DayCompare(store, business_day(DAY, "UTC"), T0 + timedelta(hours=1))
    day.add(order=order)  # no saga, no sale, nothing recovered: unexplained
    ledger.reconcile_begin(run_key="r@1", workflow_id="reconcile:metrics:2026-11-30",
                           store=store, first_day=DAY, last_day=DAY)
    ledger.reconcile_finish("r@1", day.reports(), {})
    with TestClient(create_app(settings, relay_every=3600)) as client:
        text = client.get("/metrics").text
    assert gauge(text, "wooerp_reconcile_unexplained_amount", store=store, currency="EUR") == 27.5
    assert gauge(text, "wooerp_reconcile_variance_amount", store=store, currency="EUR") == 27.5
    assert gauge(text, "wooerp_reconcile_exceptions", store=store, cause="unexplained") == 1
    assert gauge(text, "wooerp_reconcile_exceptions", store=store, cause="rounding") == 0
    finished = ledger.reconcile_run("r@1").finished_at.timestamp()
    assert gauge(text, "wooerp_reconcile_last_success_timestamp_seconds", store=store) == \
        finished
    assert gauge(text, "wooerp_reconcile_gauges_up") == 1
    ledger.close()


def test_metrics_show_the_seed_kpis_of_the_last_day(tmp_path, temporal_address):
    """Acceptance latency, refund cycle time and shipped-without-invoice, as
    an alert reads them: folded from the business events of the last day."""
    store = "kpis"
    settings = load_settings(data_dir=tmp_path, temporal={"address": temporal_address},
                             stores={store: {"url": "http://127.0.0.1:9", "consumer_key": "k",
                                             "consumer_secret": "s"}})
    ledger = Ledger(settings.database_url)
    ledger.migrate()
    eur = lambda x: Money.of(x, "EUR")  # noqa: E731
    t0 = datetime.now(timezone.utc) - timedelta(hours=3)

    def add(event, after: timedelta):
        ledger.append_event(event.model_copy(update={"recorded_at": t0 + after}),
                            type=event.type)

    for n, accept_after in ((1, 60), (2, 240)):
        wid = f"order:{store}:{n}"
        common = dict(recorded_at=t0, source_system="wooerp", correlation_id=wid)
        add(ev.OrderCaptured(event_id=f"{wid}:c", occurred_at=t0, store=store, woo_order_id=n,
                             total=eur("10.00"), **common), timedelta(0))
        add(ev.OrderAccepted(event_id=f"{wid}:a", occurred_at=t0, erp_document=f"SO{n}",
                             erp_total=eur("10.00"), **common), timedelta(seconds=accept_after))
        add(ev.ShipmentConfirmed(event_id=f"{wid}:s", occurred_at=t0, erp_shipment_id=n,
                                 **common), timedelta(hours=1))
    rid = f"refund:{store}:1:1"
    common = dict(recorded_at=t0, source_system="wooerp", correlation_id=rid)
    add(ev.RefundRequested(event_id=f"{rid}:r", occurred_at=t0, refund_ref=rid,
                           amount=eur("5.00"), requested_by="support", **common), timedelta(0))
    add(ev.RefundCompleted(event_id=f"{rid}:d", occurred_at=t0, refund_ref=rid,
                           amount=eur("5.00"), fully_refunded=False, **common),
        timedelta(minutes=30))
    with TestClient(create_app(settings, relay_every=3600)) as client:
        text = client.get("/metrics").text
    assert gauge(text, "wooerp_orders_accepted_last_day", store=store) == 2
    assert gauge(text, "wooerp_order_acceptance_latency_seconds", store=store,
                 quantile="0.5") == 240.0
    assert gauge(text, "wooerp_refund_cycle_time_seconds", store=store, quantile="0.5") == 1800.0
    assert gauge(text, "wooerp_refunds_completed_last_day", store=store) == 1
    assert gauge(text, "wooerp_shipped_not_invoiced", store=store) == 2  # neither invoiced
    oldest = gauge(text, "wooerp_shipped_not_invoiced_oldest_seconds", store=store)
    assert 2 * 3600 <= oldest < 3 * 3600  # shipped an hour after t0, three hours ago
    assert gauge(text, "wooerp_kpi_gauges_up") == 1
    ledger.close()
