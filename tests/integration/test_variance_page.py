"""The variance page in a real headless browser (Debian's chromium): it loads
behind the support API's token, shows the numbers the ledger holds, makes
unexplained money impossible to miss, links each variance to its saga in the
Temporal Web UI, and its chart renders (bars with real on-screen height)."""
from __future__ import annotations

import json
import threading
import time
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import httpx
import pytest
import uvicorn

from canonical.reconcile import DayCompare, ErpDocument, SagaState, StoreOrder, business_day
from systems.ledger import Ledger
from systems.ledger.inventory import CheckRecord
from tests.integration.cdp import headless_page
from workers.config.settings import load_settings
from workers.devstack.ports import free_port
from workers.ingress.app import create_app

TOKEN = "page-token-for-tests"
STORE = "pages"
DAYS = [date(2026, 11, 29), date(2026, 11, 30)]


def order(woo_id: int, day: date, total: str) -> StoreOrder:
    t = datetime.combine(day, datetime.min.time(), timezone.utc) + timedelta(hours=10)
    amount = Decimal(total)
    return StoreOrder(store=STORE, woo_id=woo_id, status="processing", currency="EUR",
                      created_at=t, modified_at=t, paid=True, items=amount, shipping=Decimal(0),
                      fees=Decimal(0), tax=Decimal(0), total=amount, refunded=Decimal(0),
                      refunds=0, item_lines=1, other_lines=0, erp_document=f"SO{woo_id}")


def booked(o: StoreOrder) -> ErpDocument:
    return ErpDocument(ref=f"woo:{STORE}:{o.woo_id}", woo_id=o.woo_id, erp_id=o.woo_id,
                       document=f"SO{o.woo_id}", state="processing", cancelled=False,
                       shipped=False, currency="EUR", items=o.items, shipping=Decimal(0),
                       fees=Decimal(0), tax=Decimal(0), total=o.total, invoiced=Decimal(0),
                       invoices=0, credited=Decimal(0), credit_notes=0,
                       credited_posted=Decimal(0), item_lines=1, other_lines=0)


@pytest.fixture
def served(tmp_path, temporal_address):
    settings = load_settings(
        data_dir=tmp_path, temporal={"address": temporal_address, "ui_port": 18233},
        stores={STORE: {"url": "http://127.0.0.1:9", "consumer_key": "k", "consumer_secret": "s"}},
        support={"api_token": TOKEN})
    ledger = Ledger(settings.database_url)
    ledger.migrate()
    reports = []
    for day, orders in ((DAYS[0], [order(1, DAYS[0], "100.00"), order(2, DAYS[0], "50.00")]),
                        (DAYS[1], [order(3, DAYS[1], "80.00"), order(4, DAYS[1], "12.34"),
                                   order(5, DAYS[1], "20.00")])):
        compare = DayCompare(STORE, business_day(day, "UTC"),
                             datetime.combine(day, datetime.min.time(), timezone.utc)
                             + timedelta(days=1))
        for o in orders:
            if o.woo_id == 4:  # no saga, no sale: unexplained
                compare.add(order=o)
            elif o.woo_id == 5:  # parked
                compare.add(order=o, sagas=[SagaState(
                    workflow_id=f"order:{STORE}:5", woo_id=5, kind="order",
                    stage="needs_attention", reason="SKU WOO-X is not mapped", since=o.created_at,
                    running=True)])
            else:
                compare.add(order=o, erp=booked(o))
        reports += compare.reports()
    ledger.reconcile_begin(run_key="page@1", workflow_id="reconcile:pages:x", store=STORE,
                           first_day=DAYS[0], last_day=DAYS[1])
    ledger.reconcile_finish("page@1", reports, {})
    # The store's latest full inventory comparison: 47 of 50 SKUs were right.
    ledger.inventory_record(CheckRecord(
        store=STORE, kind="full", checked_at=datetime(2026, 11, 30, 23, 0, tzinfo=timezone.utc),
        compared=50, in_step=47, repaired=3, unresolved=0), [], "inventory:pages:1")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, relay_every=3600),
                                           host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the ingress did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/reports/variance?store={STORE}&from={DAYS[0]}&to={DAYS[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        ledger.close()


def test_the_page_needs_the_support_token_and_serves_the_ledgers_numbers(served):
    assert httpx.get(served).status_code == 401
    assert httpx.get(served, headers={"Authorization": "Bearer wrong"}).status_code == 403
    data = httpx.get(f"{served}&format=json", headers={"Authorization": f"Bearer {TOKEN}"}).json()
    assert [d["business_day"] for d in data["days"]] == [str(d) for d in DAYS]
    assert [d["difference"]["amount"] for d in data["days"]] == ["0.00", "32.34"]
    assert data["kpis"]["inventory_accuracy"] == 0.94
    assert data["kpis"]["inventory"]["compared"] == 50
    bad = httpx.get(served.replace(str(DAYS[0]), "yesterday"),
                    headers={"Authorization": f"Bearer {TOKEN}"})
    assert bad.status_code == 400 and "date like" in bad.json()["error"]


def test_the_page_renders_in_a_real_browser(served):
    with headless_page() as page:
        status = page.open(served, {"Authorization": f"Bearer {TOKEN}"})
        assert status == 200
        shown = page.evaluate("""(() => {
            const bars = [...document.querySelectorAll('#chart rect.bar:not(.legend)')];
            const cells = [...document.querySelectorAll('#days tr')].slice(1)
                .map(r => [...r.cells].map(c => c.textContent));
            const alarm = document.getElementById('unexplained-alarm');
            const red = document.querySelector('#days td.unexplained');
            return {
              title: document.title,
              alarm: alarm && alarm.textContent,
              alarmColor: alarm && getComputedStyle(alarm).backgroundColor,
              redCell: red && red.textContent,
              bars: bars.map(b => ({day: b.dataset.day, amount: b.dataset.amount,
                                    side: b.classList.contains('erp') ? 'erp' : 'commerce',
                                    height: b.getBoundingClientRect().height})),
              days: cells.map(c => ({day: c[0], commerce: c[c.length - 4], erp: c[c.length - 3],
                                     difference: c[c.length - 2], unexplained: c[c.length - 1]})),
              links: [...document.querySelectorAll('#variances a')].map(a => a.href),
              causes: [...document.querySelectorAll('#variances tr')].slice(1)
                .map(r => r.cells[7].textContent),
              accuracy: document.getElementById('inventory-accuracy').textContent,
            };
        })()""")
    assert shown["title"] == f"Variance {STORE} {DAYS[0]}..{DAYS[1]}"
    assert shown["accuracy"].startswith("94.0% (47 of 50 SKUs in step")
    assert shown["alarm"] == "UNEXPLAINED: 2026-11-30 12.34 EUR"
    assert shown["alarmColor"] == "rgb(176, 0, 32)" and shown["redCell"] == "12.34"
    assert shown["days"] == [
        {"day": "2026-11-29", "commerce": "150.00", "erp": "150.00", "difference": "0.00",
         "unexplained": "0.00"},
        {"day": "2026-11-30", "commerce": "112.34", "erp": "80.00", "difference": "32.34",
         "unexplained": "12.34"}]
    heights = {(b["day"], b["side"]): (b["amount"], b["height"]) for b in shown["bars"]}
    assert {k: a for k, (a, _) in heights.items()} == {
        ("2026-11-29", "commerce"): "150.00", ("2026-11-29", "erp"): "150.00",
        ("2026-11-30", "commerce"): "112.34", ("2026-11-30", "erp"): "80.00"}
    assert all(h > 10 for _, h in heights.values()), shown["bars"]  # drawn, not just in the DOM
    assert heights[("2026-11-29", "erp")][1] > heights[("2026-11-30", "commerce")][1] > \
        heights[("2026-11-30", "erp")][1]
    assert sorted(shown["causes"]) == ["parked", "unexplained"]
    assert f"http://127.0.0.1:18233/namespaces/default/workflows/order%3A{STORE}%3A5" in \
        shown["links"]
    json.dumps(shown)  # plain data came back from the page
