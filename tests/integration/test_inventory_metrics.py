"""/metrics for the inventory sync, folded from the ledger: accuracy and
SKUs out of step at the latest full comparison, and the sync lag of each
InventoryAdjusted as a histogram (each observed once per ingress)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from starlette.testclient import TestClient

from canonical.events import InventoryAdjusted
from systems.ledger import Ledger
from systems.ledger.inventory import CheckRecord
from tests.integration.test_reconcile_metrics import gauge
from workers.config.settings import load_settings
from workers.ingress import kpi_gauges
from workers.ingress.app import create_app


def test_metrics_show_accuracy_out_of_step_and_the_sync_lag(tmp_path, temporal_address):
    store = "invmetrics"
    settings = load_settings(data_dir=tmp_path, temporal={"address": temporal_address},
                             stores={store: {"url": "http://127.0.0.1:9", "consumer_key": "k",
                                             "consumer_secret": "s"}})
    ledger = Ledger(settings.database_url)
    ledger.migrate()
    now = datetime.now(timezone.utc)
    wid = f"inventory:{store}"

    def adjusted(n: int, lag: float) -> InventoryAdjusted:
        return InventoryAdjusted(event_id=f"{wid}:{n}:SKU{n}", occurred_at=now - timedelta(
            seconds=lag), recorded_at=now - timedelta(seconds=1), source_system="wooerp",
            correlation_id=wid, sku=f"SKU{n}", quantity=n, store=store, before=0)
    ledger.inventory_record(CheckRecord(store, "full", now - timedelta(minutes=5), 200, 190, 10,
                                        2), [adjusted(1, 0.8), adjusted(2, 2.5)], f"{wid}:1")
    ledger.inventory_record(CheckRecord(store, "event", now - timedelta(minutes=1), 3, 0, 3, 0),
                            [adjusted(3, 40.0)], f"{wid}:2")
    with TestClient(create_app(settings, relay_every=3600)) as client:
        text = client.get("/metrics").text
    assert gauge(text, "wooerp_inventory_sync_accuracy", store=store) == 0.95
    assert gauge(text, "wooerp_inventory_skus_out_of_step", store=store) == 10
    assert gauge(text, "wooerp_inventory_skus_unresolved", store=store) == 2
    assert gauge(text, "wooerp_inventory_sync_lag_seconds_count", store=store) == 3
    assert gauge(text, "wooerp_inventory_sync_lag_seconds_bucket", store=store, le="1.0") == 1
    assert gauge(text, "wooerp_inventory_sync_lag_seconds_bucket", store=store, le="3.0") == 2
    # A second fold does not observe the same adjustments again.
    lags: dict = {}
    kpi_gauges.refresh(ledger, [store], now, lags)
    before = kpi_gauges.SYNC_LAG.labels(store)._sum.get()
    kpi_gauges.refresh(ledger, [store], now + timedelta(seconds=30), lags)
    assert kpi_gauges.SYNC_LAG.labels(store)._sum.get() == before
    ledger.close()
