"""The ingress's failure paths as a user meets them: `wooerp ingress` as a
process on a Temporal dev server of its own, which this test stops and
starts again. While Temporal is down a delivery is answered `200 queued`
and kept; the relay loop (not a test calling relay_once) forwards it when
Temporal is back. A signed delivery whose order cannot be mapped is a dead
letter at once, counted, and never forwarded.

Its own Temporal (kept in SQLite, so it restarts with its state) and its
own ingress: stopping the session's server would take every other test's
sagas with it. No worker: a forwarded delivery is a saga that exists.
"""
from __future__ import annotations

import asyncio
import json
import re
import uuid
from pathlib import Path

import httpx
import pytest
from temporalio.client import Client
from temporalio.service import RPCError

from sandbox.store.webhooks import signature
from systems.ledger import InboxStatus, Ledger
from workers.devstack.devserver import DevServer, DevServerConfig
from workers.devstack.ports import free_port
from workers.devstack.supervisor import Child, ChildSpec
from tests.fixtures.store import WOOERP

SECRET = "relay-test-secret"
BODY = Path(__file__).resolve().parents[1] / "data" / "order_created_delivery.json"


def delivery(order_id: int, **changes) -> bytes:
    doc = json.loads(BODY.read_text())
    doc.update(id=order_id, number=str(order_id), status="processing", **changes)
    return json.dumps(doc, separators=(",", ":")).encode()


def headers(body: bytes) -> dict[str, str]:
    return {"Content-Type": "application/json", "X-WC-Webhook-Topic": "order.created",
            "X-WC-Webhook-Resource": "order", "X-WC-Webhook-Event": "created",
            "X-WC-Webhook-ID": "1", "X-WC-Webhook-Delivery-ID": uuid.uuid4().hex,
            "X-WC-Webhook-Signature": signature(body, SECRET)}


def new_id() -> int:
    return 10**6 + uuid.uuid4().int % 10**6


async def poll(check, what: str, timeout: float = 30.0):
    """Wait for evidence: `check()` returns something truthy, or fail saying what."""
    loop = asyncio.get_running_loop()
    deadline, last = loop.time() + timeout, None
    while loop.time() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(0.2)
    raise AssertionError(f"{what}: not within {timeout} s (last: {last!r})")


@pytest.fixture
async def private_temporal(tmp_path) -> DevServer:
    server = DevServer(DevServerConfig(port=free_port(), ui_port=None, http_port=free_port(),
                                       metrics_port=free_port(),
                                       db_file=tmp_path / "temporal.sqlite"),
                       log_file=tmp_path / "temporal.log")
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def test_deliveries_wait_out_a_temporal_outage_and_the_relay_forwards_them(
        tmp_path, private_temporal):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    database = tmp_path / "ledger.sqlite"
    env = {"WOOERP_DATA_DIR": str(tmp_path), "WOOERP_DATABASE_URL": f"sqlite:///{database}",
           "WOOERP_TEMPORAL__ADDRESS": private_temporal.address,
           "WOOERP_TEMPORAL__DEPLOYMENT": "relay",
           "WOOERP_STORES__DEFAULT__URL": "http://127.0.0.1:9",
           "WOOERP_STORES__DEFAULT__CONSUMER_KEY": "ck_relay",
           "WOOERP_STORES__DEFAULT__CONSUMER_SECRET": "cs_relay",
           "WOOERP_STORES__DEFAULT__WEBHOOK_SECRET": SECRET,
           "WOOERP_INGRESS__HOST": "127.0.0.1", "WOOERP_INGRESS__PORT": str(port),
           "WOOERP_LOG__FORMAT": "json"}

    async def healthy() -> bool:
        async with httpx.AsyncClient(timeout=2) as http:
            return (await http.get(f"{url}/healthz")).status_code == 200

    ingress = Child(ChildSpec("ingress", [str(WOOERP), "ingress"], env=env, ready=healthy,
                              ready_timeout=60, log_file=tmp_path / "ingress.log"))
    await ingress.start()
    http = httpx.AsyncClient(base_url=url, timeout=30)
    try:
        await ingress.wait_ready()
        temporal = await Client.connect(private_temporal.address)

        async def post(body: bytes) -> httpx.Response:
            return await http.post("/webhooks/woocommerce/default", content=body,
                                   headers=headers(body))

        async def metric(name: str, **labels: str) -> float:
            text = (await http.get("/metrics")).text
            want = ",".join(f'{k}="{v}"' for k, v in labels.items())
            series = re.escape(f"{name}{{{want}}}" if want else name)
            found = re.search(rf"^{series} (\S+)$", text, re.M)
            return float(found.group(1)) if found else 0.0

        async def saga_exists(order_id: int) -> bool:
            try:
                await temporal.get_workflow_handle(f"order:default:{order_id}").describe()
                return True
            except RPCError:
                return False

        # Temporal up: forwarded at once.
        first = new_id()
        answer = await post(delivery(first))
        assert answer.status_code == 200 and answer.json()["outcome"] == "forwarded", answer.text
        assert await saga_exists(first)

        # A signed, well-formed delivery whose order does not map: a dead letter
        # answered 200 (WooCommerce disables a webhook on repeated non-2xx).
        unmappable = new_id()
        dead = await post(delivery(unmappable, currency="usd"))
        assert dead.status_code == 200 and dead.json()["outcome"] == "dead_letter", dead.text
        assert dead.json()["detail"].startswith("cannot map the order: currency")
        assert await metric("wooerp_webhook_dead_letters_total") == 1
        assert await metric("wooerp_webhooks_total", outcome="dead_letter") == 1

        # Temporal down: kept and answered "queued"; the backlog gauge says so.
        await private_temporal.stop()
        waiting = [new_id(), new_id()]
        for order_id in waiting:
            queued = await post(delivery(order_id))
            assert queued.status_code == 200 and queued.json()["outcome"] == "queued", queued.text
        assert await metric("wooerp_webhooks_total", outcome="queued") == 2
        await poll(lambda: _equals(metric("wooerp_inbox_pending"), 2),
                   "the relay's tick to count the two waiting deliveries")

        # Temporal back: the relay loop forwards both, by itself.
        await private_temporal.start()
        for order_id in waiting:
            await poll(lambda: saga_exists(order_id),
                       f"the relay to start the saga of queued order {order_id}")
        await poll(lambda: _equals(metric("wooerp_inbox_pending"), 0),
                   "the backlog gauge to come back to 0")
        ledger = Ledger(f"sqlite:///{database}")
        try:
            entries = [ledger.inbox_get(i) for i in range(1, 5)]
        finally:
            ledger.close()
        assert [e.status for e in entries] == [InboxStatus.FORWARDED, InboxStatus.DEAD,
                                              InboxStatus.FORWARDED, InboxStatus.FORWARDED]
        assert "currency" in entries[1].error
        assert not await saga_exists(unmappable)  # a dead letter is never forwarded
        assert await metric("wooerp_webhook_dead_letters_total") == 1
    finally:
        await http.aclose()
        await ingress.stop()


async def _equals(value, expected) -> bool:
    return await value == expected
