"""Fixtures for the store emulator's own tests: webhooks pointed at a local receiver."""
from __future__ import annotations

from typing import Any, Callable, Iterator

import pytest

from tests.sandbox.support import SECRET


@pytest.fixture
def hook(sandbox_store, webhook_receiver) -> Iterator[Callable[[str], dict[str, Any]]]:
    """Make webhooks to the receiver (each pings it once); deleted after the test."""
    api = sandbox_store.api()
    created: list[int] = []

    def make(topic: str) -> dict[str, Any]:
        resp = api.post("webhooks", {"topic": topic, "delivery_url": webhook_receiver.url,
                                     "secret": SECRET, "name": f"sandbox test {topic}"})
        assert resp.status_code == 201, resp.text
        created.append(resp.json()["id"])
        webhook_receiver.wait_for(len(created))  # the synchronous ping
        return resp.json()

    yield make
    sandbox_store.drain_webhooks()
    for hid in created:
        api.delete(f"webhooks/{hid}", params={"force": "true"})
