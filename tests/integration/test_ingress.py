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

import httpx
import pytest
from starlette.testclient import TestClient
from temporalio.common import SearchAttributePair, TypedSearchAttributes

from sandbox.fake_systems import FakeWorld
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
from tests.workflows.saga_harness import fake_workers, wait_for
from workflows.refund_saga import RefundSaga
from workflows.refund_types import LineRequest, RefundPolicy, RefundSagaInput

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

    async def saga(stage: str, parked: bool, queue: str = "orders@ingress-test") -> str:
        # A saga as its worker would have published it (no worker runs here).
        wid = f"order:default:{new_id()}"
        await temporal_client.start_workflow(
            "OrderSaga", id=wid, task_queue=queue,
            search_attributes=TypedSearchAttributes([
                SearchAttributePair(search.SAGA_STAGE, stage),
                SearchAttributePair(search.NEEDS_ATTENTION, parked)]))
        return wid

    client.get("/metrics")  # the gauges exist from the first scrape on
    before = (gauge("wooerp_sagas_needing_attention", saga="OrderSaga"),
              gauge("wooerp_sagas_in_stage", saga="OrderSaga", stage="awaiting_shipment"))
    await saga("needs_attention", True)
    await saga("awaiting_shipment", False)
    other = await saga("needs_attention", True, queue="orders@another-deployment")

    def counts() -> tuple[float, float]:
        return (gauge("wooerp_sagas_needing_attention", saga="OrderSaga") - before[0],
                gauge("wooerp_sagas_in_stage", saga="OrderSaga", stage="awaiting_shipment")
                - before[1])

    async def other_visible() -> bool:  # visibility lists it: a read now would count it
        return (await temporal_client.count_workflows(
            f'WorkflowId = "{other}" AND NeedsAttention = true')).count == 1

    for _ in range(50):  # visibility is eventually consistent
        if await other_visible() and counts() == (1, 1):
            break
        await asyncio.sleep(0.2)
    assert await other_visible(), "the other deployment's saga never became visible"
    assert counts() == (1, 1)  # read after it was visible: it was not counted
    assert gauge("wooerp_saga_gauges_up") == 1


# the support API's answers, as the README lists them ----------------------------------

def _asgi(app) -> httpx.AsyncClient:
    """The app in this event loop (Starlette's TestClient would block it, and
    with it the workers the sagas run on)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ingress",
                             headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)


async def test_support_api_bad_input_is_400_with_the_reason(ingress):
    _, _, app = ingress
    async with _asgi(app) as http:
        for body in ({"order_id": 5, "amount": "5.00"},  # no store
                     {"store": "default", "order_id": "five", "amount": "5.00"},
                     {"store": "default", "order_id": 5, "amount": "five"},
                     [{"store": "default"}]):
            answer = await http.post("/support/refunds", json=body)
            assert answer.status_code == 400, (body, answer.text)
            assert answer.json()["error"].startswith("bad request:")
        junk = await http.post("/support/refunds", content=b"{not json",
                               headers={"Content-Type": "application/json"})
        assert junk.status_code == 400 and junk.json()["error"].startswith("bad request:")
        no_reason = await http.post("/support/refunds/refund:default:1:x/reject", json={"by": "a"})
        assert no_reason.status_code == 400 and "reason" in no_reason.json()["error"]
        bad_line = await http.post("/support/returns", json={
            "store": "default", "rma": "R1", "order_id": 5, "lines": [{"line_id": "x"}]})
        assert bad_line.status_code == 400


async def test_support_api_refused_by_the_saga_is_409(ingress, temporal_client):
    """A second approval, a decision on an ended refund: the saga says no, in
    words, whatever moment the decision arrives in."""
    _, _, app = ingress
    world = FakeWorld()
    async with fake_workers(temporal_client, world) as queue, _asgi(app) as http:
        oid = new_id()
        h = await temporal_client.start_workflow(
            RefundSaga.run, RefundSagaInput(
                store="default", woo_order_id=oid, key="api", origin="support",
                requested_by="agent", lines=[LineRequest(line_id=oid * 10, quantity=1)]),
            id=f"refund:default:{oid}:api", task_queue=queue)
        await wait_for(h, RefundSaga.status, lambda s: s.stage == "awaiting_approval")
        first = await http.post(f"/support/refunds/{h.id}/approve", json={"by": "alice"})
        assert first.status_code == 200 and first.json()["decided_by"] == "alice", first.text
        second = await http.post(f"/support/refunds/{h.id}/approve", json={"by": "bob"})
        assert second.status_code == 409, second.text
        assert "already approved by alice" in second.json()["error"]
        assert (await asyncio.wait_for(h.result(), 30)).stage == "completed"
        late = await http.post(f"/support/refunds/{h.id}/reject",
                               json={"by": "carol", "reason": "too late"})
        assert late.status_code == 409 and "already ended" in late.json()["error"], late.text
        sent = await http.post(f"/support/refunds/{h.id}/money-sent", json={"by": "dan"})
        assert sent.status_code == 409, sent.text
    assert world.woo_calls == [f"refund:{oid}:13.75"]  # approved once, refunded once


async def test_support_decisions_racing_the_end_of_the_saga_are_409_never_5xx(
        ingress, temporal_client):
    """An auto-approved refund runs to its end while agents keep deciding on
    it: every answer is the saga's refusal (409), whichever step it lands in
    (being checked, approved, ending, ended)."""
    _, _, app = ingress
    world = FakeWorld()
    async with fake_workers(temporal_client, world) as queue, _asgi(app) as http:
        answers: list[tuple[int, str]] = []
        for n in range(4):
            oid = new_id()
            h = await temporal_client.start_workflow(
                RefundSaga.run, RefundSagaInput(
                    store="default", woo_order_id=oid, key=f"race{n}", origin="support",
                    requested_by="agent", amount={"amount": "1.00", "currency": "USD"},
                    policy=RefundPolicy(auto_approve_below=10)),
                id=f"refund:default:{oid}:race{n}", task_queue=queue)
            ended = asyncio.create_task(h.result())

            async def decide(i: int) -> None:
                await asyncio.sleep(i * 0.005)
                verb, body = (("approve", {"by": f"a{i}"}) if i % 2 else
                              ("reject", {"by": f"r{i}", "reason": "no"}))
                answer = await http.post(f"/support/refunds/{h.id}/{verb}", json=body)
                answers.append((answer.status_code, answer.json().get("error", "")))

            await asyncio.gather(*(decide(i) for i in range(40)))
            assert (await asyncio.wait_for(ended, 30)).decided_by == "auto-approval"
    codes = {code for code, _ in answers}
    assert codes == {409}, sorted({a for a in answers if a[0] != 409})
    said = " ".join(error for _, error in answers)
    assert "already approved by auto-approval" in said and "already ended" in said, said


async def test_support_api_without_temporal_is_503(tmp_path):
    app = create_app(settings_for(tmp_path, "127.0.0.1:9"), relay_every=3600)
    async with _asgi(app) as http:
        for call in (http.post("/support/refunds", json={"store": "default", "order_id": 5,
                                                          "amount": "5.00"}),
                     http.post("/support/refunds/refund:default:5:x/approve", json={"by": "a"}),
                     http.get("/support/orders/default/5"),
                     http.post("/support/orders/default/5/retry")):
            answer = await call
            assert answer.status_code == 503, answer.text
            assert answer.json()["error"] == "Temporal is unreachable, try again"
