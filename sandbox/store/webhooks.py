"""Webhook delivery as WooCommerce does it (CONTRACT.md 7).

Deliveries are queued when a request ends, coalesced per (webhook, resource)
while pending, and sent by a background thread: one attempt, no retries, the
payload rendered at delivery time, signed with base64 HMAC-SHA256 over the
exact body bytes. 200-302 is success; the webhook is disabled on the 7th
consecutive failure. Faults can drop, duplicate, reorder or delay deliveries.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import httpx

from sandbox.store.faults import FaultInjector
from sandbox.store.site import WC_VERSION, WP_VERSION, Site

MAX_FAILURES = 5  # woocommerce_max_webhook_delivery_failures
USER_AGENT = f"WooCommerce/{WC_VERSION} Hookshot (WordPress/{WP_VERSION})"
PING_TIMEOUT = 5.0


def php_json(payload: Any) -> bytes:
    """trim(wp_json_encode($payload)): compact, '/' escaped, non-ASCII as \\uXXXX."""
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=True)
    return text.replace("/", "\\/").encode()


def signature(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@dataclass(order=True)
class Pending:
    due: float
    seq: int
    webhook_id: int = field(compare=False)
    resource_id: int = field(compare=False)


class WebhookService:
    def __init__(self, site: Site, faults: FaultInjector, timeout: float = 60.0,
                 renderers: dict[str, Callable[[int], Any]] | None = None):
        self.site = site
        self.faults = faults
        self.timeout = timeout
        self.renderers = renderers or {}
        self._queue: list[Pending] = []
        self._cond = threading.Condition()
        self._seq = 0
        self._busy = 0
        self._stop = False
        self._salt = secrets.token_bytes(16)
        self._thread = threading.Thread(target=self._run, name="webhook-delivery", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        self._thread.join(timeout=5)

    # -- queueing ---------------------------------------------------------------
    def enqueue(self, topic: str, resource_id: int) -> None:
        hooks = [w for w in self.site.db.rows("webhooks") if w["topic"] == topic
                 and w["status"] == "active"]
        f = self.faults.faults
        with self._cond:
            for hook in hooks:
                if any(p.webhook_id == hook["id"] and p.resource_id == resource_id
                       for p in self._queue):
                    continue  # an identical action is already pending: coalesced
                delay = f.webhook_delay_ms / 1000
                if self.faults.hit(f.webhook_reorder_rate):
                    delay += 0.5  # held back so later events overtake it
                self._push(hook["id"], resource_id, delay)
            self._cond.notify_all()

    def _push(self, webhook_id: int, resource_id: int, delay: float) -> None:
        self._seq += 1
        self._queue.append(Pending(time.monotonic() + delay, self._seq, webhook_id, resource_id))
        self._queue.sort()

    def drain(self, timeout: float = 10.0, flush: bool = True) -> bool:
        """Test hook: deliver everything queued (delays skipped with flush); True if empty."""
        end = time.monotonic() + timeout
        with self._cond:
            if flush and self._queue:
                # move the whole schedule forward: delays end now, the order they set stays
                shift = max(0.0, max(p.due for p in self._queue) - time.monotonic())
                for p in self._queue:
                    p.due -= shift
                self._cond.notify_all()
            while self._queue or self._busy:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
        return True

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stop and not (self._queue and self._queue[0].due <= time.monotonic()):
                    wait = self._queue[0].due - time.monotonic() if self._queue else None
                    self._cond.wait(wait if wait is None else max(wait, 0.001))
                if self._stop:
                    return
                item = self._queue.pop(0)
                self._busy += 1
            try:
                self._deliver_with_faults(item)
            finally:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()

    def _deliver_with_faults(self, item: Pending) -> None:
        f = self.faults.faults
        if self.faults.hit(f.webhook_drop_rate):
            self._log({"webhook_id": item.webhook_id, "resource_id": item.resource_id,
                       "dropped": True, "ok": False})
            return
        self.deliver(item.webhook_id, item.resource_id)
        if self.faults.hit(f.webhook_duplicate_rate):
            self.deliver(item.webhook_id, item.resource_id)

    # -- delivery ---------------------------------------------------------------
    def _payload(self, hook: dict[str, Any], resource_id: int) -> Any:
        if hook["event"] == "deleted":
            return {"id": resource_id}
        if hook["resource"] == "action":
            return {"action": hook["topic"][len("action."):], "arg": resource_id}
        return self.renderers[hook["resource"]](resource_id)

    def deliver(self, webhook_id: int, resource_id: int) -> None:
        with self.site.db.tx():
            hook = self.site.db.get_row("webhooks", "id", webhook_id)
            if hook is None or hook["status"] != "active":
                return
            body = php_json(self._payload(hook, resource_id))
        headers = {
            "User-Agent": USER_AGENT, "Content-Type": "application/json",
            "X-WC-Webhook-Source": self.site.home_url.rstrip("/") + "/",
            "X-WC-Webhook-Topic": hook["topic"], "X-WC-Webhook-Resource": hook["resource"],
            "X-WC-Webhook-Event": hook["event"],
            "X-WC-Webhook-Signature": signature(body, hook["secret"]),
            "X-WC-Webhook-ID": str(hook["id"]),
            # wp_hash(webhook_id . time()): not unique within one second
            "X-WC-Webhook-Delivery-ID": hmac.new(self._salt, f"{hook['id']}{int(time.time())}".encode(),
                                                 hashlib.md5).hexdigest(),
        }
        code, error, started = 0, None, time.monotonic()
        try:
            resp = httpx.post(hook["delivery_url"], content=body, headers=headers,
                              timeout=self.timeout, follow_redirects=False)
            code = resp.status_code
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        ok = 200 <= code <= 302
        self._record_outcome(webhook_id, ok)
        self._log({"webhook_id": webhook_id, "resource_id": resource_id, "topic": hook["topic"],
                   "delivery_id": headers["X-WC-Webhook-Delivery-ID"], "url": hook["delivery_url"],
                   "status_code": code, "ok": ok, "error": error,
                   "duration_ms": int((time.monotonic() - started) * 1000),
                   "body": body.decode(), "headers": headers})

    def _record_outcome(self, webhook_id: int, ok: bool) -> None:
        with self.site.db.tx():
            hook = self.site.db.get_row("webhooks", "id", webhook_id)
            if hook is None:
                return
            if ok:
                hook["failure_count"] = 0
            elif hook["failure_count"] > MAX_FAILURES:
                hook["status"] = "disabled"  # the 7th consecutive failure
            else:
                hook["failure_count"] += 1
            hook["pending_delivery"] = False
            self.site.db.save_row("webhooks", "id", webhook_id, hook)

    def _log(self, row: dict[str, Any]) -> None:
        row["at"] = time.time()
        with self.site.db.tx():
            self.site.db.execute("INSERT INTO deliveries (data) VALUES (?)", (json.dumps(row),))

    def ping(self, hook: dict[str, Any]) -> None:
        """deliver_ping(): form-encoded `webhook_id=N`, unsigned, no X-WC-Webhook-* headers."""
        try:
            resp = httpx.post(hook["delivery_url"], content=f"webhook_id={hook['id']}".encode(),
                              headers={"User-Agent": USER_AGENT,
                                       "Content-Type": "application/x-www-form-urlencoded"},
                              timeout=PING_TIMEOUT, follow_redirects=False)
            ok = resp.status_code == 200
        except httpx.HTTPError:
            ok = False
        self._log({"webhook_id": hook["id"], "ping": True, "ok": ok})
        if ok:
            with self.site.db.tx():
                stored = self.site.db.get_row("webhooks", "id", hook["id"])
                if stored:
                    stored["pending_delivery"] = False
                    self.site.db.save_row("webhooks", "id", hook["id"], stored)
