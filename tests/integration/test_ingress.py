"""The ingress over HTTP (Starlette's test client), with a real Temporal dev
server and a real ledger: verify, keep, forward; nothing lost, nothing
started on a bad delivery."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import asyncio
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from temporalio.common import SearchAttributePair, TypedSearchAttributes

from systems.ledger import Ledger
from systems.ledger.models import InboxStatus
from systems.woocommerce.webhooks import parse_headers
from workers.sagas import support as svc
from workflows import search
from workers.ingress import saga_gauges
from workers.ingress.app import create_app
from workers.ingress.inbox import Inbox
from workers.sagas.link import SagaLink
from workers.config.settings import load_settings

SECRET = "s3cret-for-tests"
TOKEN = "support-token-for-tests"
BODY = Path(__file__).resolve().parents[1] / "data" / "order_created_delivery.json"


def settings_for(tmp_path: Path, temporal_address: str):
    return load_settings(
        data_dir=tmp_path, temporal={"address": temporal_address, "deployment": "ingress-test"},
        stores={"default": {"url": "http://127.0.0.1:9", "consumer_key": "ck_x",
                            "consumer_secret": "cs_x", "webhook_secret": SECRET}},
        support={"api_token": TOKEN})


def delivery(order_id: int, status: str = "processing") -> bytes:
    doc = json.loads(BODY.read_text())
    doc.update(id=order_id, number=str(order_id), status=status)
    return json.dumps(doc, separators=(",", ":")).encode()


def signed(body: bytes, topic: str = "order.created", secret: str = SECRET) -> dict[str, str]:
    sig = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return {"X-WC-Webhook-Signature": sig, "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Resource": topic.split(".")[0], "X-WC-Webhook-Event": topic.split(".")[1],
            "X-WC-Webhook-ID": "7", "X-WC-Webhook-Delivery-ID": uuid.uuid4().hex,
            "Content-Type": "application/json"}


@pytest.fixture
def ingress(tmp_path, temporal_address):
    settings = settings_for(tmp_path, temporal_address)
    app = create_app(settings, relay_every=3600)
    with TestClient(app) as client:
        yield client, Ledger(settings.database_url), app


def new_id() -> int:
    return 10**6 + uuid.uuid4().int % 10**6


async def test_signed_delivery_is_kept_and_starts_the_saga(ingress, temporal_client):
    client, ledger, _ = ingress
    oid = new_id()
    body = delivery(oid)
    r = client.post("/webhooks/woocommerce/default", content=body, headers=signed(body))
    assert r.status_code == 200 and r.json()["outcome"] == "forwarded"
    item = ledger.inbox_get(r.json()["entry"])
    assert item.status == InboxStatus.FORWARDED and item.body == body  # raw bytes kept
    desc = await temporal_client.get_workflow_handle(f"order:default:{oid}").describe()
    assert desc.task_queue == "orders@ingress-test"
    # the same delivery again is the same saga, not a second one
    r2 = client.post("/webhooks/woocommerce/default", content=body, headers=signed(body))
    assert r2.status_code == 200
    again = await temporal_client.get_workflow_handle(f"order:default:{oid}").describe()
    assert again.run_id == desc.run_id


async def test_bad_or_missing_signature_is_401_and_starts_nothing(ingress, temporal_client):
    client, ledger, _ = ingress
    oid = new_id()
    body = delivery(oid)
    forged = client.post("/webhooks/woocommerce/default", content=body,
                         headers=signed(body, secret="wrong"))
    unsigned_headers = signed(body)
    del unsigned_headers["X-WC-Webhook-Signature"]
    missing = client.post("/webhooks/woocommerce/default", content=body, headers=unsigned_headers)
    assert forged.status_code == 401 and missing.status_code == 401
    with pytest.raises(Exception, match="not found"):
        await temporal_client.get_workflow_handle(f"order:default:{oid}").describe()
    rejected = [i for i in ledger_items(ledger) if i.status == InboxStatus.REJECTED]
    assert len(rejected) == 2 and "signature" in rejected[0].error


def ledger_items(ledger: Ledger):
    items, i = [], 1
    while (item := ledger.inbox_get(i)) is not None:
        items.append(item)
        i += 1
    return items


def test_ping_too_large_malformed_and_unknown_store(ingress):
    client, ledger, _ = ingress
    ping = client.post("/webhooks/woocommerce/default", content=b"webhook_id=7",
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert ping.status_code == 200 and ping.json()["outcome"] == "ping"
    big = b"{" + b" " * (1024 * 1024) + b"}"
    assert client.post("/webhooks/woocommerce/default", content=big,
                       headers=signed(big)).status_code == 413
    junk = b'{"id": 12, "status": '
    r = client.post("/webhooks/woocommerce/default", content=junk, headers=signed(junk))
    assert r.status_code == 400
    [dead] = [i for i in ledger_items(ledger) if i.status == InboxStatus.DEAD]
    assert dead.body == junk and "malformed JSON" in dead.error
    assert client.post("/webhooks/woocommerce/nope", content=junk,
                       headers=signed(junk)).status_code == 404


async def test_temporal_down_keeps_the_delivery_and_the_relay_forwards_it(
        tmp_path, temporal_address, temporal_client):
    settings = settings_for(tmp_path, temporal_address)
    ledger = Ledger(settings.database_url)
    ledger.migrate()
    down = settings.temporal.model_copy(update={"address": "127.0.0.1:9"})
    oid = new_id()
    body = delivery(oid)
    meta = parse_headers({k.lower(): v for k, v in signed(body).items()})
    offline = Inbox(settings, ledger, SagaLink(settings.model_copy(update={"temporal": down})))
    entry = await offline.keep("default", meta, {}, body)
    assert await offline.forward(entry) is False
    assert ledger.inbox_get(entry).status == InboxStatus.RECEIVED  # kept, not lost
    online = Inbox(settings, ledger, SagaLink(settings))
    assert await online.relay_once() == 1
    assert ledger.inbox_get(entry).status == InboxStatus.FORWARDED
    await temporal_client.get_workflow_handle(f"order:default:{oid}").describe()


async def test_a_trash_delivery_signals_the_open_saga_or_is_kept(ingress, temporal_client):
    client, ledger, _ = ingress
    oid = new_id()
    created = delivery(oid)
    assert client.post("/webhooks/woocommerce/default", content=created,
                       headers=signed(created)).status_code == 200
    notes = []
    for woo_id in (oid, new_id()):  # a saga to hold, and an order wooerp never saw
        body = json.dumps({"id": woo_id}).encode()
        r = client.post("/webhooks/woocommerce/default", content=body,
                        headers=signed(body, "order.deleted"))
        assert r.status_code == 200 and r.json()["outcome"] == "forwarded"
        notes.append(ledger.inbox_get(r.json()["entry"]).error)
    assert notes[0] == f"signalled order:default:{oid}: order in trash"
    assert notes[1].startswith("no open saga")
    history = await temporal_client.get_workflow_handle(f"order:default:{oid}").fetch_history()
    signals = [e.workflow_execution_signaled_event_attributes.signal_name
               for e in history.events if e.HasField("workflow_execution_signaled_event_attributes")]
    assert "woo_order_trashed" in signals


def test_support_api_needs_the_right_token(ingress):
    client, _, _ = ingress
    url = "/support/orders/default/1"
    assert client.get(url).status_code == 401
    assert client.get(url, headers={"Authorization": "Bearer nope"}).status_code == 403
    ok = client.get(url, headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 404  # authorized; there is simply no such saga


def test_support_call_nobody_answers_is_504_not_a_hang(ingress, monkeypatch):
    """No worker serves this deployment: the refund starts (Temporal keeps it),
    but a status or approval cannot be answered; the tool gets told so."""
    monkeypatch.setattr(svc, "CALL_TIMEOUT", timedelta(seconds=1))
    monkeypatch.setattr(svc, "UPDATE_TIMEOUT", timedelta(seconds=1))
    client, _, _ = ingress
    auth = {"Authorization": f"Bearer {TOKEN}"}
    started = client.post("/support/refunds", headers=auth,
                          json={"store": "default", "order_id": new_id(), "amount": "5.00"})
    wid = started.json()["workflow_id"]
    for answer in (client.get(f"/support/refunds/{wid}", headers=auth),
                   client.post(f"/support/refunds/{wid}/approve", headers=auth, json={"by": "a"})):
        assert answer.status_code == 504 and "no worker answered" in answer.json()["error"]


def test_health_and_metrics(ingress):
    client, _, _ = ingress
    assert client.get("/healthz").json()["temporal"] == "up"
    assert "wooerp_webhooks_total" in client.get("/metrics").text


async def test_metrics_count_parked_and_waiting_sagas_of_this_deployment(ingress,
                                                                         temporal_client):
    """What an alert reads: sagas waiting for a person, and for the ERP."""
    client, _, app = ingress
    app.state.saga_gauges = saga_gauges.Cached(app.state.sagas, max_age=0)  # each scrape reads

    def gauge(name: str, **labels: str) -> float:
        want = ",".join(f'{k}="{v}"' for k, v in labels.items())
        series = f"{name}{{{want}}}" if want else name
        line = next(l for l in client.get("/metrics").text.splitlines()
                    if l.startswith(f"{series} "))
        return float(line.split()[-1])

    async def saga(stage: str, parked: bool, queue: str = "orders@ingress-test") -> None:
        # A saga as its worker would have published it (no worker runs here).
        await temporal_client.start_workflow(
            "OrderSaga", id=f"order:default:{new_id()}", task_queue=queue,
            search_attributes=TypedSearchAttributes([
                SearchAttributePair(search.SAGA_STAGE, stage),
                SearchAttributePair(search.NEEDS_ATTENTION, parked)]))

    client.get("/metrics")  # the gauges exist from the first scrape on
    before = (gauge("wooerp_sagas_needing_attention", saga="OrderSaga"),
              gauge("wooerp_sagas_in_stage", saga="OrderSaga", stage="awaiting_shipment"))
    await saga("needs_attention", True)
    await saga("awaiting_shipment", False)
    await saga("needs_attention", True, queue="orders@another-deployment")

    def counts() -> tuple[float, float]:
        return (gauge("wooerp_sagas_needing_attention", saga="OrderSaga") - before[0],
                gauge("wooerp_sagas_in_stage", saga="OrderSaga", stage="awaiting_shipment")
                - before[1])

    for _ in range(50):  # visibility is eventually consistent
        if counts() == (1, 1):
            break
        await asyncio.sleep(0.2)
    await asyncio.sleep(0.5)  # and the other deployment's saga, had it counted, would be by now
    assert counts() == (1, 1)
    assert gauge("wooerp_saga_gauges_up") == 1
