"""POST /webhooks/woocommerce/{store}: verify, keep, forward, answer fast.

WooCommerce delivers at most once and disables a webhook after repeated
failures, so a delivery is answered 200 as soon as it is safely in the inbox;
forwarding to Temporal is best effort here and retried by the relay.
"""
from __future__ import annotations

import json

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse

from systems.woocommerce import webhooks as wc
from workers.ingress import metrics
from workers.ingress.inbox import Inbox

MAX_BODY = 1024 * 1024
log = structlog.get_logger("wooerp.ingress")


class BodyTooLarge(Exception):
    pass


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
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


async def receive(request: Request) -> JSONResponse:
    inbox: Inbox = request.app.state.inbox
    store = request.path_params["store"]
    secret = inbox.webhook_secret(store)
    if secret is None:
        return _reply(404, "unknown_store", detail=f"no store {store!r} is configured")
    try:
        body = await read_body(request)
    except BodyTooLarge:
        return _reply(413, "too_large", detail=f"body over {MAX_BODY} bytes")
    headers = {k.lower(): v for k, v in request.headers.items()}
    meta = wc.parse_headers(headers)
    bound = structlog.contextvars.bound_contextvars(store=store, delivery_id=meta.delivery_id)
    with bound:
        if wc.is_ping(body):
            log.info("webhook ping", webhook_id=meta.webhook_id)
            return _reply(200, "ping")
        if not wc.verify_signature(body, headers.get("x-wc-webhook-signature"), secret):
            await inbox.reject(store, meta, headers, body, "bad or missing signature")
            log.warning("webhook signature rejected", topic=meta.topic)
            return _reply(401, "bad_signature")
        try:
            json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            await inbox.dead(store, meta, headers, body, f"malformed JSON: {exc}")
            return _reply(400, "malformed", detail="body is not valid JSON")
        entry_id = await inbox.keep(store, meta, headers, body)
        forwarded = await inbox.forward(entry_id)
        log.info("webhook accepted", topic=meta.topic, entry=entry_id, forwarded=forwarded)
        return _reply(200, "forwarded" if forwarded else "queued", entry=entry_id)
