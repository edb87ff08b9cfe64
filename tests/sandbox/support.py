"""Helpers for the store emulator's own tests."""
from __future__ import annotations

import json
import time
import uuid
from typing import Any, Callable

SECRET = "whsec-sandbox-tests"


def unique(prefix: str) -> str:
    """A name no other test in the shared session store uses."""
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def deliveries(receiver, topic: str | None = None) -> list[dict[str, Any]]:
    """Bodies the receiver got (pings left out), oldest first."""
    return [json.loads(r.body) for r in list(receiver.requests)
            if "X-WC-Webhook-Topic" in r.headers
            and (topic is None or r.headers["X-WC-Webhook-Topic"] == topic)]


def wait_until(check: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    """Poll `check` until it returns something truthy; fail naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def log_for(store, webhook_id: int) -> list[dict[str, Any]]:
    """The store's delivery log for one webhook, pings left out."""
    return [d for d in store.deliveries(webhook_id) if not d.get("ping")]


def queued(store, webhook_id: int) -> list[dict[str, Any]]:
    """Deliveries still pending for one webhook."""
    return [p for p in store.admin("GET", "webhooks/queue") if p["webhook_id"] == webhook_id]


def own_sku(api, price: str) -> str:
    """A product of the test's own (stock not managed), so the catalog's stock,
    which other suites check, stays as seeded."""
    sku = unique("SBX").replace(" ", "-").upper()
    resp = api.post("products", {"name": f"Sandbox test {sku}", "sku": sku, "regular_price": price})
    assert resp.status_code == 201, resp.text
    return sku
