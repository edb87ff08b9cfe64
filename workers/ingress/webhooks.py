"""POST /webhooks/woocommerce/{store}: verify, keep, forward, answer fast.

WooCommerce delivers at most once and disables a webhook after repeated
failures, so a delivery is answered 200 as soon as it is safely in the inbox;
forwarding to Temporal is best effort here and retried by the relay.

Nothing a client sends gets a 5xx. What is refused, and how:
- a store code that no store can have (not 1-64 of [A-Za-z0-9_.-]): 400;
  unknown store 404; body over 1 MiB 413 (counted, not stored);
- a bad or missing signature: 401, recorded as a digest and a prefix within
  the source's budget, else only counted (see budget.py);
- a signed body that is not JSON WooCommerce sends (payload.py): 400 and a
  dead letter;
- a signed order the mapping refuses: 200 and a dead letter, so one bad
  order does not count towards WooCommerce disabling the webhook.
"""
from __future__ import annotations

import re

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse

from systems.woocommerce import webhooks as wc
from workers.ingress import metrics, payload
from workers.ingress.inbox import Inbox, Outcome

MAX_BODY = 1024 * 1024
STORE_CODE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_DIGITS = re.compile(r"[0-9]{1,18}")
log = structlog.get_logger("wooerp.ingress")


class BodyTooLarge(Exception):
    pass


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    declared = request.headers.get("content-length")
    # ASCII digits only (str.isdigit() also takes "²", and int() refuses 5,000
    # digits); anything else is ignored and the stream itself is counted.
    if declared and declared.isascii() and declared.isdigit() and (
            len(declared) > len(str(limit)) or int(declared) > limit):
        raise BodyTooLarge()
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge()
        chunks.append(chunk)
    return b"".join(chunks)


def _reply(status: int, outcome: str, **extra) -> JSONResponse:
    metrics.WEBHOOKS.labels(outcome=outcome).inc()
    return JSONResponse({"outcome": outcome, **extra}, status_code=status)


def _headers(request: Request) -> dict[str, str]:
    """Lower-cased headers, with a webhook id parse_headers can read safely."""
    headers = {k.lower(): v for k, v in request.headers.items()}
    if not _DIGITS.fullmatch(headers.get("x-wc-webhook-id", "0")):
        del headers["x-wc-webhook-id"]
    return headers


async def receive(request: Request) -> JSONResponse:
    inbox: Inbox = request.app.state.inbox
    store = request.path_params["store"]
    if not STORE_CODE.fullmatch(store):
        return _reply(400, "bad_store", detail="a store code is 1-64 of A-Z a-z 0-9 _ . -")
    secret = inbox.webhook_secret(store)
    if secret is None:
        return _reply(404, "unknown_store", detail=f"no store {store!r} is configured")
    try:
        body = await read_body(request)
    except BodyTooLarge:
        return _reply(413, "too_large", detail=f"body over {MAX_BODY} bytes")
    headers = _headers(request)
    meta = wc.parse_headers(headers)
    # Header values are unsigned: cut to what the inbox keeps before they reach a log line.
    bound = structlog.contextvars.bound_contextvars(
        store=store, delivery_id=(meta.delivery_id or "")[:64] or None)
    with bound:
        if wc.is_ping(body):
            log.info("webhook ping", webhook_id=meta.webhook_id)
            return _reply(200, "ping")
        if not wc.verify_signature(body, headers.get("x-wc-webhook-signature"), secret):
            source = request.client.host if request.client else "unknown"
            entry = await inbox.reject(store, meta, headers, body, "bad or missing signature",
                                       source=source)
            if entry is not None:  # over budget: counted only, or a flood fills the log instead
                log.warning("webhook signature rejected", topic=meta.topic[:128], entry=entry,
                            source=source)
            return _reply(401, "bad_signature")
        try:
            payload.parse(body)
        except payload.BodyRefused as exc:
            entry = await inbox.dead(store, meta, headers, body, exc.reason)
            log.warning("webhook body refused", entry=entry, reason=exc.reason)
            return _reply(400, "malformed", detail=exc.reason, entry=entry)
        entry_id = await inbox.keep(store, meta, headers, body)
        outcome = await inbox.handle(entry_id)
        log.info("webhook accepted", topic=meta.topic[:128], entry=entry_id,
                 outcome=outcome.value)
        if outcome is Outcome.DEAD:
            return _reply(200, outcome.label, entry=entry_id,
                          detail=await inbox.reason(entry_id))
        return _reply(200, outcome.label, entry=entry_id)
