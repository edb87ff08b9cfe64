"""POST /webhooks/erp/{erp}: an ERP notification (systems/erp/notifications.py),
verified, kept in the inbox like a store delivery, relayed, answered fast.

The ERP's sender retries on 429 and 5xx only, so a 4xx ends a bad event:
- an ERP code no ERP can have: 400; an ERP wooerp does not talk to, or
  notifications not configured (no `erp.notify_secret`): 404;
- body over the notification limit: 413 (counted, not stored);
- a bad or missing `X-Wooerp-Signature`: 401, recorded within the source's
  budget as a digest and a prefix (the same budget as the store's);
- a signed body that is not a notification: 400 and a dead letter;
- an event id already kept: 200 `duplicate`, nothing relayed twice.
Nothing a client sends gets a 5xx; Temporal being down leaves the entry
for the relay (200 `queued`).
"""
from __future__ import annotations

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse

from systems.erp.notifications import (EVENT_HEADER, MAX_BODY_BYTES, SIGNATURE_HEADER,
                                       ErpNotification, verify)
from systems.woocommerce.webhooks import WebhookHeaders
from workers.ingress.inbox import ERP_TOPIC, Inbox, Outcome
from workers.ingress.webhooks import STORE_CODE, BodyTooLarge, _reply, read_body

ERPS = ("tryton",)  # the ERP adapters wooerp has (systems/erp/)
log = structlog.get_logger("wooerp.ingress")


def _meta(topic: str, event_id: str | None) -> WebhookHeaders:
    return WebhookHeaders(topic=topic, resource="erp", event=topic[len(ERP_TOPIC):],
                          webhook_id=None, delivery_id=event_id, source=None, signature=None)


async def receive(request: Request) -> JSONResponse:
    inbox: Inbox = request.app.state.inbox
    erp = request.path_params["erp"]
    if not STORE_CODE.fullmatch(erp):
        return _reply(400, "bad_erp", detail="an ERP code is 1-64 of A-Z a-z 0-9 _ . -")
    secret = inbox.erp_secret()
    if erp not in ERPS or secret is None:
        return _reply(404, "unknown_erp", detail=f"no notifications are configured for {erp!r}")
    try:
        body = await read_body(request, MAX_BODY_BYTES)
    except BodyTooLarge:
        return _reply(413, "too_large", detail=f"body over {MAX_BODY_BYTES} bytes")
    headers = {k.lower(): v for k, v in request.headers.items()}
    claimed = (headers.get(EVENT_HEADER.lower()) or "")[:64] or None
    if not verify(body, headers.get(SIGNATURE_HEADER.lower()), secret):
        source = request.client.host if request.client else "unknown"
        entry = await inbox.reject(erp, _meta(f"{ERP_TOPIC}unverified", claimed), headers, body,
                                   "bad or missing signature", source=source)
        if entry is not None:
            log.warning("erp notification signature rejected", erp=erp, entry=entry,
                        source=source)
        return _reply(401, "bad_signature")
    try:
        event = ErpNotification.parse(body)
    except ValueError as exc:
        reason = f"not an ERP notification: {str(exc)[:300]}"
        entry = await inbox.dead(erp, _meta(f"{ERP_TOPIC}unreadable", claimed), headers, body,
                                 reason)
        log.warning("erp notification refused", erp=erp, entry=entry)
        return _reply(400, "malformed", detail=reason, entry=entry)
    topic = f"{ERP_TOPIC}{event.kind}"
    if (known := await inbox.seen(erp, event.event_id, topic)) is not None:
        return _reply(200, "duplicate", entry=known)
    entry_id = await inbox.keep(erp, _meta(topic, event.event_id), headers, body)
    outcome = await inbox.handle(entry_id)
    log.info("erp notification accepted", erp=erp, kind=event.kind, state=event.state,
             entry=entry_id, outcome=outcome.value)
    if outcome is Outcome.DEAD:
        return _reply(200, outcome.label, entry=entry_id, detail=await inbox.reason(entry_id))
    return _reply(200, outcome.label, entry=entry_id)
