"""Webhook delivery as WooCommerce does it (CONTRACT.md 7).

Deliveries are queued when a request ends (once per webhook and resource in
one request), merged into a pending delivery of the same webhook and resource,
and sent by a background thread standing in for Action Scheduler: one attempt,
no retries, the payload rendered when the delivery runs, signed with base64
HMAC-SHA256 over the exact body bytes. 200-302 is success; the webhook is
disabled on the 7th consecutive failure. The thread runs like a cron runner
(after a delay) or like WP-Cron (only after the next request to the site).
Each of these is a setting (sandbox/store/settings.py). Faults can drop,
duplicate, reorder or delay deliveries.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import httpx

from sandbox.store.faults import FaultInjector
from sandbox.store.settings import Settings
from sandbox.store.site import WC_VERSION, WP_VERSION, Site

USER_AGENT = f"WooCommerce/{WC_VERSION} Hookshot (WordPress/{WP_VERSION})"
PING_TIMEOUT = 5.0


def php_json(payload: Any) -> bytes:
    """trim(wp_json_encode($payload)): compact, '/' escaped, non-ASCII as \\uXXXX."""
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=True)
    return text.replace("/", "\\/").encode()


# wp_specialchars_decode($secret, ENT_QUOTES) decodes these and nothing else
SPECIALCHARS = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&#039;", "'"), ("&#39;", "'"),
                ("&#x27;", "'"), ("&amp;", "&"))


def specialchars_decode(text: str) -> str:
    for entity, char in SPECIALCHARS:
        text = text.replace(entity, char)
    return text


def signature(body: bytes, secret: str) -> str:
    """generate_signature(): base64 HMAC-SHA256 keyed with the entity-decoded secret."""
    key = specialchars_decode(secret).encode()
    return base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()


WAITING = math.inf  # due time of a delivery that waits for the next page view


@dataclass(order=True)
class Pending:
    """One scheduled `woocommerce_deliver_webhook_async` action, args {webhook_id, arg}."""
    due: float
    seq: int
    webhook_id: int = field(compare=False)
    resource_id: int = field(compare=False)
    attempt: int = field(default=1, compare=False)
    hold: float = field(default=0.0, compare=False)  # fault delay added on top of the cron's
    body: bytes | None = field(default=None, compare=False)  # webhook_payload="event" only


class WebhookService:
    def __init__(self, site: Site, faults: FaultInjector, timeout: float = 60.0,
                 renderers: dict[str, Callable[[int], Any]] | None = None,
                 settings: Settings | None = None):
        self.site = site
        self.faults = faults
        self.settings = settings or Settings()
        self.timeout = timeout
        self.renderers = renderers or {}
        self._queue: list[Pending] = []
        self._cond = threading.Condition()
        self._seq = 0
        self._busy = 0
        self._stop = False
        self._next_run: float | None = None  # when the cron runner next starts
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
        """wc_webhook_execute_queue at PHP shutdown, for each active webhook of the topic."""
        hooks = [w for w in self.site.db.rows("webhooks") if w["topic"] == topic
                 and w["status"] == "active"]
        settings, f = self.settings.current, self.faults.faults
        for hook in hooks:
            body = None
            if settings.webhook_payload == "event":
                body = php_json(self._payload(hook, resource_id))
            hold = f.webhook_delay_ms / 1000
            if self.faults.hit(f.webhook_reorder_rate):
                hold += 0.5  # held back so later events overtake it
            with self._cond:
                if settings.webhook_coalesce and self._is_pending(hook["id"], resource_id):
                    continue  # an identical action is already pending: merged into it
                self._push(hook["id"], resource_id, hold, body=body)
                self._cond.notify_all()

    def _is_pending(self, webhook_id: int, resource_id: int) -> bool:
        return any(p.webhook_id == webhook_id and p.resource_id == resource_id
                   for p in self._queue)

    def _push(self, webhook_id: int, resource_id: int, hold: float, attempt: int = 1,
              body: bytes | None = None) -> None:
        settings = self.settings.current
        if settings.webhook_cron == "page_view":
            due = WAITING  # WP-Cron: nothing runs until someone visits the site
        else:
            due = self._runner_start() + hold
        self._seq += 1
        self._queue.append(Pending(due, self._seq, webhook_id, resource_id, attempt, hold, body))
        self._queue.sort()

    def _runner_start(self) -> float:
        """When the cron runner picks up an action queued now: the run already
        scheduled if it has not started yet, else a new run after the delay."""
        now = time.monotonic()
        delay = self.settings.current.webhook_cron_delay_ms / 1000
        if delay <= 0:
            return now
        if self._next_run is None or not now < self._next_run <= now + delay:
            self._next_run = now + delay  # none pending, or one from a longer delay
        return self._next_run

    def _release_waiting(self, start: float) -> None:
        for p in self._queue:
            if p.due == WAITING:
                p.due = start + p.hold
        self._queue.sort()
        self._cond.notify_all()

    def page_view(self) -> None:
        """A request reached WordPress: WP-Cron spawns and runs what is queued,
        after the cron delay. Deliveries queued by this same request come later
        (they are scheduled at its shutdown), so call this when a request starts."""
        settings = self.settings.current
        if settings.webhook_cron != "page_view":
            return
        with self._cond:
            self._release_waiting(time.monotonic() + settings.webhook_cron_delay_ms / 1000)

    def settings_changed(self) -> None:
        """Leaving page_view mode must not strand what waits for a page view."""
        if self.settings.current.webhook_cron != "page_view":
            with self._cond:
                self._release_waiting(self._runner_start())

    def pending(self) -> list[dict[str, Any]]:
        """What Action Scheduler has pending, for tests: a waiting one needs a page view."""
        now = time.monotonic()
        with self._cond:
            return [{"webhook_id": p.webhook_id, "resource_id": p.resource_id, "attempt": p.attempt,
                     "waiting_for_page_view": p.due == WAITING,
                     "due_in_ms": None if p.due == WAITING else max(0, int((p.due - now) * 1000))}
                    for p in self._queue]

    def drain(self, timeout: float = 10.0, flush: bool = True) -> bool:
        """Test hook: deliver everything queued (with flush: delays skipped, a
        waiting WP-Cron run started, retries included); True once nothing is left."""
        end = time.monotonic() + timeout
        with self._cond:
            while self._queue or self._busy:
                if flush:
                    self._flush()
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
        return True

    def _flush(self) -> None:
        """Move the whole schedule forward so the last delivery is due now; the
        order the delays set stays, and waiting deliveries follow it."""
        now = time.monotonic()
        timed = [p for p in self._queue if p.due != WAITING]
        shift = max(0.0, max((p.due for p in timed), default=now) - now)
        self._next_run = None  # the run a drain started is over
        if shift or len(timed) != len(self._queue):
            for p in self._queue:
                p.due = now if p.due == WAITING else p.due - shift
            self._queue.sort()
            self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stop and not (self._queue and self._queue[0].due <= time.monotonic()):
                    first = self._queue[0].due if self._queue else WAITING
                    self._cond.wait(None if first == WAITING else max(first - time.monotonic(), 0.001))
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
                       "attempt": item.attempt, "dropped": True, "ok": False})
            return
        ok = self.deliver(item.webhook_id, item.resource_id, item.body, item.attempt)
        if self.faults.hit(f.webhook_duplicate_rate):
            self.deliver(item.webhook_id, item.resource_id, item.body, item.attempt)
        if ok is False and item.attempt <= self.settings.current.webhook_retries:
            with self._cond:  # not WooCommerce: only with webhook_retries > 0
                if not self._is_pending(item.webhook_id, item.resource_id):
                    self._push(item.webhook_id, item.resource_id, item.hold, item.attempt + 1,
                               item.body)
                self._cond.notify_all()

    # -- delivery ---------------------------------------------------------------
    def _payload(self, hook: dict[str, Any], resource_id: int) -> Any:
        if hook["event"] == "deleted":
            return {"id": resource_id}
        if hook["resource"] == "action":
            return {"action": hook["topic"][len("action."):], "arg": resource_id}
        return self.renderers[hook["resource"]](resource_id)

    def deliver(self, webhook_id: int, resource_id: int, body: bytes | None = None,
                attempt: int = 1) -> bool | None:
        """wc_deliver_webhook_async: one POST; True/False as it counted, None if
        the webhook is gone. The status is not checked again here, as WooCommerce
        does not: a delivery queued before a pause or a disable still goes out."""
        with self.site.db.tx():
            hook = self.site.db.get_row("webhooks", "id", webhook_id)
            if hook is None:  # deleted since: WooCommerce posts to an empty URL, which fails
                self._log({"webhook_id": webhook_id, "resource_id": resource_id,
                           "attempt": attempt, "gone": True, "ok": False})
                return None
            if body is None:
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
                   "attempt": attempt,
                   "delivery_id": headers["X-WC-Webhook-Delivery-ID"], "url": hook["delivery_url"],
                   "status_code": code, "ok": ok, "error": error,
                   "duration_ms": int((time.monotonic() - started) * 1000),
                   "body": body.decode(), "headers": headers})
        return ok

    def _record_outcome(self, webhook_id: int, ok: bool) -> None:
        """log_delivery / failed_delivery: 200-302 resets the count; a failure with
        the count above the limit disables (the count stays), else counts one more."""
        limit = self.settings.current.webhook_max_failures
        with self.site.db.tx():
            hook = self.site.db.get_row("webhooks", "id", webhook_id)
            if hook is None:
                return
            if ok:
                hook["failure_count"] = 0
            elif hook["failure_count"] > limit:
                hook["status"] = "disabled"  # with the default limit: the 7th failure in a row
            else:
                hook["failure_count"] += 1
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
