"""GET /reports/variance: the variance report in a browser (or as JSON with
`?format=json`), behind the support API's bearer token. Read from the
ledger only: it answers while Temporal is down."""
from __future__ import annotations

import asyncio
from dataclasses import asdict
from datetime import date, datetime, timedelta, timezone

from pydantic_core import to_jsonable_python
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from canonical.reconcile import business_days, day_of
from systems.ledger.kpis import kpis
from workers.ingress.support import _authorized
from workers.ingress.variance_page import render

MAX_DAYS = 366


def _day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name} must be a date like 2026-11-30, not {value[:40]!r}") from None


def temporal_ui(settings) -> str:  # noqa: ANN001 (Settings)
    host = settings.temporal.address.rsplit(":", 1)[0] or "127.0.0.1"
    return f"http://{host}:{settings.temporal.ui_port}"


async def variance(request: Request) -> Response:
    denied = _authorized(request)
    if denied:
        return denied
    settings, q = request.app.state.settings, request.query_params
    store = q.get("store") or next(iter(settings.stores), "")
    if store not in settings.stores:
        return JSONResponse({"error": f"unknown store {store[:64]!r}"}, status_code=404)
    tz = settings.stores[store].timezone
    try:
        last = _day(q.get("to"), "to") or day_of(datetime.now(timezone.utc), tz)
        first = _day(q.get("from"), "from") or last - timedelta(days=6)
        if last < first or (last - first).days >= MAX_DAYS:
            raise ValueError(f"from..to must be 1 to {MAX_DAYS} days, in order")
    except ValueError as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    span = business_days(first, last, tz)
    ledger = request.app.state.ledger
    days = await asyncio.to_thread(ledger.variance_days, store, first, last)
    figures = await asyncio.to_thread(kpis, ledger, store, span[0].start, span[-1].end,
                                      datetime.now(timezone.utc))
    if q.get("format") == "json":
        return JSONResponse({"store": store, "from": str(first), "to": str(last),
                             "days": [d.model_dump(mode="json") for d in days],
                             "kpis": to_jsonable_python(
                                 {**asdict(figures),
                                  "inventory_accuracy": figures.inventory_accuracy})})
    return HTMLResponse(render(store=store, first=first, last=last, days=days, kpis=figures,
                               temporal_ui=temporal_ui(settings),
                               namespace=settings.temporal.namespace))


ROUTES = [Route("/reports/variance", variance)]
