"""/metrics carries the newest reconciliation of each store: unexplained
money (what an alert fires on), the variance, exceptions by cause, and when
the last run completed."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from starlette.testclient import TestClient

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
