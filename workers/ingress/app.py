"""The ingress ASGI app: webhooks, support API, health and metrics."""
from __future__ import annotations

import asyncio
import contextlib
from typing import AsyncIterator

import structlog
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from systems.ledger.store import Ledger
from workers.ingress import (bearer, codec, erp_webhooks, kpi_gauges, reconcile_gauges, reports,
                             saga_gauges, support, webhooks)
from workers.ingress.inbox import Inbox
from workers.sagas.link import SagaLink
from workers.config.settings import Settings

log = structlog.get_logger("wooerp.ingress")


async def _relay(inbox: Inbox, every: float) -> None:
    """Forward deliveries kept while Temporal was down; nothing is lost."""
    while True:
        await asyncio.sleep(every)
        try:
            sent = await inbox.relay_once()
            if sent:
                log.info("relay forwarded deliveries", count=sent)
        except Exception:  # a bad tick must not stop the relay
            log.exception("relay tick failed")


async def healthz(request: Request) -> JSONResponse:
    # Ask the server: a cached client says nothing about whether it is still there.
    sagas = await request.app.state.sagas.get()
    up = sagas is not None and await sagas.healthy()
    body = {"status": "ok", "temporal": "up" if up else "down (webhooks are queued)"}
    return JSONResponse(body)


async def metrics(request: Request) -> Response:
    token = request.app.state.settings.metrics.token  # None: open, as scrapers expect
    if token is not None and (denied := bearer.refusal(request, token)):
        return denied
    await request.app.state.saga_gauges.refresh()  # cached: not 9 Temporal queries per scrape
    await asyncio.to_thread(reconcile_gauges.refresh, request.app.state.ledger,
                            list(request.app.state.settings.stores))
    await request.app.state.kpi_gauges.refresh()
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def create_app(settings: Settings, *, relay_every: float = 2.0) -> Starlette:
    ledger = Ledger(settings.database_url)
    sagas = SagaLink(settings)
    inbox = Inbox(settings, ledger, sagas)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await asyncio.to_thread(ledger.migrate)
        relay = asyncio.create_task(_relay(inbox, relay_every))
        try:
            yield
        finally:
            relay.cancel()

    routes = [
        Route("/webhooks/woocommerce/{store}", webhooks.receive, methods=["POST"]),
        Route("/webhooks/erp/{erp}", erp_webhooks.receive, methods=["POST"]),
        Route("/healthz", healthz),
        Route("/metrics", metrics),
        *support.ROUTES,
        *codec.ROUTES,
        *reports.ROUTES,
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.settings, app.state.ledger = settings, ledger
    app.state.sagas, app.state.inbox = sagas, inbox
    app.state.saga_gauges = saga_gauges.Cached(sagas)
    app.state.kpi_gauges = kpi_gauges.Cached(ledger, settings.stores)
    return app
