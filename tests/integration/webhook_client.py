"""What the ingress tests send and what stands in for Temporal.

`FakeTemporal` records every saga call the inbox makes (and can fail chosen
ones), so a test can say exactly which deliveries reached a saga without a
Temporal server; `FakeLink` hands it out, behind the real saga client API,
like workers.sagas.link.SagaLink.
"""
from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import uuid
from pathlib import Path
from typing import Any

from prometheus_client import REGISTRY
from starlette.testclient import TestClient

from workers.ingress.app import create_app
from workers.ingress.inbox import Inbox
from workers.config.settings import Settings, load_settings
from workers.sagas.client import SagaClient

SECRET = "s3cret-for-tests"
BODY = Path(__file__).resolve().parents[1] / "data" / "order_created_delivery.json"


def settings_for(tmp_path: Path, temporal_address: str = "127.0.0.1:9", database_url: str = ""):
    return load_settings(
        data_dir=tmp_path, database_url=database_url,
        temporal={"address": temporal_address, "deployment": "hostile-test"},
        stores={"default": {"url": "http://127.0.0.1:9", "consumer_key": "ck_x",
                            "consumer_secret": "cs_x", "webhook_secret": SECRET}},
        support={"api_token": "support-token-for-tests"})


def order_doc(order_id: int, **changes: Any) -> dict:
    doc = json.loads(BODY.read_text())
    doc.update(id=order_id, number=str(order_id), **changes)
    return doc


def delivery(order_id: int, **changes: Any) -> bytes:
    return json.dumps(order_doc(order_id, **changes), separators=(",", ":")).encode()


def signed(body: bytes, topic: str = "order.created", secret: str = SECRET) -> dict[str, str]:
    sig = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return {"X-WC-Webhook-Signature": sig, "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Resource": topic.split(".")[0],
            "X-WC-Webhook-Event": topic.partition(".")[2],
            "X-WC-Webhook-ID": "7", "X-WC-Webhook-Delivery-ID": uuid.uuid4().hex,
            "Content-Type": "application/json"}


def new_id() -> int:
    return 10**6 + uuid.uuid4().int % 10**6


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@contextlib.contextmanager
def ingress(tmp_path: Path, fake: FakeTemporal | None = None, database_url: str = ""):
    """The real app over HTTP, its inbox talking to `fake` (None: Temporal down)."""
    settings = settings_for(tmp_path, database_url=database_url)
    app = create_app(settings, relay_every=3600)
    with TestClient(app, raise_server_exceptions=False) as client:
        app.state.inbox = Inbox(settings, app.state.ledger, FakeLink(fake))
        yield client, app.state.ledger, app.state.inbox


class _Handle:
    def __init__(self, fake: FakeTemporal, wid: str) -> None:
        self._fake, self._wid = fake, wid

    async def signal(self, signal: Any, *args: Any, **kwargs: Any) -> None:
        self._fake.calls.append(("signal", self._wid))
        self._fake.maybe_fail(self._wid)


class FakeTemporal:
    """The part of temporalio.client.Client that forwarding uses."""

    def __init__(self, fail: dict[str, BaseException] | None = None) -> None:
        self.calls: list[tuple[str, str]] = []
        self.fail = fail or {}

    def maybe_fail(self, wid: str) -> None:
        error = self.fail.get(wid) or self.fail.get("*")
        if error is not None:
            raise error

    async def start_workflow(self, workflow: Any, arg: Any = None, *, id: str, **kwargs: Any):
        self.calls.append(("start", id))
        self.maybe_fail(id)

    def get_workflow_handle(self, wid: str) -> _Handle:
        return _Handle(self, wid)

    @property
    def workflow_ids(self) -> set[str]:
        return {wid for _, wid in self.calls}


class FakeLink:
    def __init__(self, client: FakeTemporal | None, settings: Settings | None = None) -> None:
        self.client, self.resets = client, 0
        self._sagas = SagaClient(client, settings or Settings()) if client else None  # type: ignore[arg-type]

    async def get(self) -> SagaClient | None:
        return self._sagas

    def reset(self) -> None:
        self.resets += 1
