"""POST /webhooks/erp/{erp} over HTTP, with a real Temporal dev server and a
real ledger: signed ERP notifications are kept and relayed once (stock to
the store's InventorySync, shipments and invoices to the order sagas they
name); forged, malformed or repeated ones are refused in 4xx or 200 words,
never 5xx."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from systems.erp.notifications import EVENT_HEADER, SIGNATURE_HEADER, expected_signature
from systems.ledger import Ledger
from systems.ledger.models import InboxStatus
from workers.config.settings import load_settings
from workers.ingress.app import create_app
from workflows.inventory_types import inventory_workflow_id

NOTIFY_SECRET = "erp-notify-secret-for-tests"
URL = "/webhooks/erp/tryton"


def settings_for(tmp_path: Path, temporal_address: str, store: str, *, secret=NOTIFY_SECRET):
    return load_settings(
        data_dir=tmp_path, temporal={"address": temporal_address,
                                     "deployment": f"erp-ingress-{uuid.uuid4().hex[:6]}"},
        stores={store: {"url": "http://127.0.0.1:9", "consumer_key": "ck_x",
                        "consumer_secret": "cs_x", "webhook_secret": "whsec"}},
        erp={"notify_secret": secret} if secret else {})


@pytest.fixture
def store() -> str:
    return f"erp{uuid.uuid4().hex[:8]}"  # a sync of its own on the shared dev server


@pytest.fixture
def ingress(tmp_path, temporal_address, store):
    settings = settings_for(tmp_path, temporal_address, store)
    with TestClient(create_app(settings, relay_every=3600)) as client:
        yield client, Ledger(settings.database_url)


def event(kind: str = "stock", **fields) -> bytes:
    doc = {"version": 1, "event_id": uuid.uuid4().hex, "database": "wooerp", "kind": kind,
           "model": "stock.move", "state": "done", "ids": [1, 2], "skus": ["WOO-MUG"],
           "external_refs": [], "occurred_at": datetime.now(timezone.utc).isoformat(),
           **fields}
    return json.dumps(doc, separators=(",", ":")).encode()


def headers(body: bytes, secret: str = NOTIFY_SECRET) -> dict[str, str]:
    return {"Content-Type": "application/json",
            SIGNATURE_HEADER: expected_signature(body, secret),
            EVENT_HEADER: json.loads(body).get("event_id", "x")}


async def test_a_stock_event_is_kept_and_signals_the_store_s_inventory_sync(
        ingress, store, temporal_client):
    client, ledger = ingress
    body = event(skus=["WOO-MUG", "WOO-POSTER"])
    r = client.post(URL, content=body, headers=headers(body))
    assert r.status_code == 200 and r.json()["outcome"] == "forwarded"
    item = ledger.inbox_get(r.json()["entry"])
    assert item.status == InboxStatus.FORWARDED and item.body == body
    assert item.topic == "erp.stock" and item.store == "tryton"
    assert SIGNATURE_HEADER.lower() not in item.headers  # the signature is not kept
    handle = temporal_client.get_workflow_handle(inventory_workflow_id(store))
    described = await handle.describe()
    assert described.workflow_type == "InventorySync"
    history = await handle.fetch_history()
    signals = [e.workflow_execution_signaled_event_attributes.signal_name
               for e in history.events if e.HasField("workflow_execution_signaled_event_attributes")]
    assert signals == ["changed"]
    await handle.terminate("test over")


async def test_the_same_event_twice_is_relayed_once(ingress, store, temporal_client):
    client, ledger = ingress
    body = event()
    first = client.post(URL, content=body, headers=headers(body))
    again = client.post(URL, content=body, headers=headers(body))
    assert first.status_code == again.status_code == 200
    assert again.json() == {"outcome": "duplicate", "entry": first.json()["entry"]}
    handle = temporal_client.get_workflow_handle(inventory_workflow_id(store))
    history = await handle.fetch_history()
    assert sum(e.HasField("workflow_execution_signaled_event_attributes")
               for e in history.events) == 1
    await handle.terminate("test over")


async def test_a_shipment_event_pokes_the_sagas_it_names_and_ignores_the_rest(
        ingress, store, temporal_client):
    client, ledger = ingress
    body = event("shipment", model="stock.shipment.out", state="done",
                 external_refs=[f"woo:{store}:41", "woo:elsewhere:1", "not-a-ref"])
    r = client.post(URL, content=body, headers=headers(body))
    assert r.status_code == 200 and r.json()["outcome"] == "forwarded"
    # No such saga is not an error: the notification was a hint.
    assert "1 not running" in ledger.inbox_get(r.json()["entry"]).error


def test_forged_unsigned_or_unconfigured_notifications_are_refused(ingress, tmp_path,
                                                                   temporal_address, store):
    client, ledger = ingress
    body = event()
    forged = client.post(URL, content=body, headers=headers(body, secret="wrong"))
    unsigned = client.post(URL, content=body, headers={"Content-Type": "application/json"})
    assert forged.status_code == unsigned.status_code == 401
    kept = [ledger.inbox_get(i) for i in range(1, 10)]
    rejected = [k for k in kept if k is not None and k.status == InboxStatus.REJECTED]
    assert len(rejected) == 2 and all("signature" in k.error for k in rejected)
    assert all(k.status == InboxStatus.REJECTED for k in kept if k is not None)  # none relayed
    assert client.post("/webhooks/erp/odoo", content=body,
                       headers=headers(body)).status_code == 404
    assert client.post("/webhooks/erp/bad%20code", content=body,
                       headers=headers(body)).status_code == 400
    off = settings_for(tmp_path / "off", temporal_address, store, secret=None)
    with TestClient(create_app(off, relay_every=3600)) as other:
        assert other.post(URL, content=body, headers=headers(body)).status_code == 404


# Named cases: event() puts a fresh event id in each body, and test ids must
# be the same in every collecting process (pytest-xdist compares them).
BAD = {
    "empty": b"", "not json": b"not json", "no event": b'{"version": 1}', "a list": b"[]",
    "version 2": event(version=2), "unknown kind": event(kind="teleport"),
    "no ids": event(ids=[]), "id 0": event(ids=[0]),
    "naive time": event(occurred_at="2026-12-01T10:00:00"),
    "bad event id": event(event_id="has spaces"), "long sku": event(skus=["x" * 300]),
    "huge number": b'{"version": 1e400}',
    "deep": json.dumps({"a": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}).encode(),
}


@pytest.mark.parametrize("body", list(BAD.values()), ids=list(BAD))
def test_a_signed_body_that_is_no_notification_is_400_and_a_dead_letter(ingress, body):
    client, ledger = ingress
    r = client.post(URL, content=body,
                    headers={SIGNATURE_HEADER: expected_signature(body, NOTIFY_SECRET)})
    assert r.status_code == 400, r.text
    dead = ledger.inbox_get(r.json()["entry"])
    assert dead.status == InboxStatus.DEAD and dead.body == body


def test_a_body_over_the_limit_is_413(ingress):
    client, _ = ingress
    big = b"{" + b" " * (1 << 20) + b"}"
    r = client.post(URL, content=big, headers={SIGNATURE_HEADER: expected_signature(big, NOTIFY_SECRET)})
    assert r.status_code == 413

