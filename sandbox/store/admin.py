"""/__sandbox/* routes for tests and demos: faults, settings, stock, orders
edited behind the integration's back, deliveries, the clock, keys.

These exist only in the emulator (a real store has no such door), so they
take no credentials: the emulator listens on loopback by default.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from sandbox.store import orders, products, render
from sandbox.store.auth import Authenticator
from sandbox.store.credentials import new_key
from sandbox.store.errors import WooError
from sandbox.store.faults import FaultInjector
from sandbox.store.fmt import DATE_FMT
from sandbox.store.settings import Settings
from sandbox.store.site import Site
from sandbox.store.webhooks import WebhookService


def _quiet_write(site: Site, fn: Callable[[], Any], fire: bool) -> Any:
    """One transaction like a REST request; its hooks are queued only with `fire`
    (a change made behind the integration's back fires nothing)."""
    with site.db.lock:
        try:
            with site.db.tx():
                result = fn()
        except BaseException:
            site.flush_hooks(committed=False)
            raise
        if not fire:
            site.fired.clear()
        site.flush_hooks(committed=True)
    return result


def _edit_order(site: Site, order_id: int, data: dict[str, Any]) -> dict[str, Any] | None:
    """Apply a REST-style order update plus `shipping_total` and `raw` (stored
    fields written as given, no recalculation); date_modified moves."""
    order = site.db.get_post(order_id, "order")
    if order is None:
        return None
    body = dict(data)
    body.pop("fire_webhooks", None)
    raw = body.pop("raw", None) or {}
    if not isinstance(raw, dict) or not set(raw) <= set(order) - {"id"}:
        raise WooError("sandbox_invalid_raw", "raw must name stored order fields (not id).", 400)
    shipping_total = body.pop("shipping_total", None)
    if shipping_total is not None:
        lines = order["shipping_lines"]
        entry = ({"id": lines[0]["id"], "total": str(shipping_total)} if lines else
                 {"method_id": "flat_rate", "method_title": "Flat rate", "total": str(shipping_total)})
        body["shipping_lines"] = [*(body.get("shipping_lines") or []), entry]
    orders.update(site, order, body)
    if raw:
        order.update(raw)
        if "date_modified_gmt" in raw:
            site.db.save_post(order, "order")
        else:
            orders.save(site, order)
    return render.order(site, order, site.home_url)


def admin_routes(site: Site, faults: FaultInjector, hooks: WebhookService,
                 auth: Authenticator, settings: Settings | None = None) -> list[Route]:
    settings = settings or hooks.settings
    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"ok": True, "home_url": site.home_url})

    async def get_faults(request: Request) -> JSONResponse:
        return JSONResponse(faults.as_dict())

    async def put_faults(request: Request) -> JSONResponse:
        try:
            faults.update(await request.json())
        except (ValueError, TypeError) as exc:
            return JSONResponse({"error": str(exc)}, 400)
        return JSONResponse(faults.as_dict())

    async def reset_faults(request: Request) -> JSONResponse:
        faults.reset()
        return JSONResponse(faults.as_dict())

    async def get_settings(request: Request) -> JSONResponse:
        return JSONResponse(settings.as_dict())

    async def put_settings(request: Request) -> JSONResponse:
        try:
            settings.update(await request.json())
        except (ValueError, TypeError) as exc:
            return JSONResponse({"error": str(exc)}, 400)
        hooks.settings_changed()
        return JSONResponse(settings.as_dict())

    async def reset_settings(request: Request) -> JSONResponse:
        settings.reset()
        hooks.settings_changed()
        return JSONResponse(settings.as_dict())

    async def edit_order(request: Request) -> JSONResponse:
        data = await request.json() if await request.body() else {}
        if not isinstance(data, dict):
            return JSONResponse({"error": "a JSON object is expected"}, 400)
        try:
            row = await run_in_threadpool(
                _quiet_write, site, lambda: _edit_order(site, request.path_params["id"], data),
                bool(data.get("fire_webhooks")))
        except WooError as err:
            return JSONResponse(err.body(), err.http_status)
        return JSONResponse(row or {"error": "no such order"}, 200 if row else 404)

    async def page_view(request: Request) -> JSONResponse:
        hooks.page_view()
        return JSONResponse({"ok": True})

    async def queue(request: Request) -> JSONResponse:
        return JSONResponse(hooks.pending())

    def _stock_rows(sku: str | None) -> list[dict[str, Any]]:
        where = "type IN ('product','variation')" + (" AND sku=?" if sku else "")
        rows = site.db.query_posts(where, (sku,) if sku else (), "id")
        return [{"id": p["id"], "sku": p["sku"], "parent_id": p["parent_id"], "type": p["type"],
                 "manage_stock": p["manage_stock"], "stock_quantity": p["stock_quantity"],
                 "stock_status": p["stock_status"]} for p in rows]

    async def get_stock(request: Request) -> JSONResponse:
        return JSONResponse(await run_in_threadpool(_stock_rows, request.query_params.get("sku")))

    def _set_stock(sku: str, qty: int) -> dict[str, Any] | None:
        with site.db.lock:
            with site.db.tx():
                obj = products.by_sku(site, sku)
                if obj is None:
                    return None
                products.update(site, obj, {"manage_stock": True, "stock_quantity": qty})
            site.flush_hooks(committed=True)
        return _stock_rows(sku)[0]

    def _restore(order_id: int) -> dict[str, Any] | None:
        """WP admin's "Restore" on a trashed order (REST has no untrash)."""
        with site.db.lock:
            with site.db.tx():
                order = site.db.get_post(order_id, "order")
                if order is None or order["status"] != "trash":
                    return None
                order["status"] = order.pop("_status_before_trash", "pending")
                orders.save(site, order)
                site.fire("order.restored", order_id)
            site.flush_hooks(committed=True)
        return {"id": order_id, "status": order["status"]}

    async def restore_order(request: Request) -> JSONResponse:
        row = await run_in_threadpool(_restore, request.path_params["id"])
        return JSONResponse(row or {"error": "no such order in the trash"}, 200 if row else 404)

    async def put_stock(request: Request) -> JSONResponse:
        data = await request.json()
        row = await run_in_threadpool(_set_stock, data["sku"], int(data["stock_quantity"]))
        return JSONResponse(row or {"error": "unknown sku"}, 200 if row else 404)

    def _deliveries(webhook_id: str | None, since: int) -> list[dict[str, Any]]:
        rows = site.db.execute("SELECT id, data FROM deliveries WHERE id > ? ORDER BY id", (since,))
        out = [{"seq": r["id"], **json.loads(r["data"])} for r in rows]
        return [d for d in out if webhook_id is None or str(d["webhook_id"]) == webhook_id]

    async def deliveries(request: Request) -> JSONResponse:
        q = request.query_params
        rows = await run_in_threadpool(_deliveries, q.get("webhook_id"), int(q.get("since", 0)))
        return JSONResponse(rows)

    async def drain(request: Request) -> JSONResponse:
        timeout = float(request.query_params.get("timeout", 10))
        flush = request.query_params.get("flush", "true") != "false"
        done = await run_in_threadpool(hooks.drain, timeout, flush)
        return JSONResponse({"drained": done}, 200 if done else 504)

    async def webhook_state(request: Request) -> JSONResponse:
        row = site.db.get_row("webhooks", "id", int(request.path_params["id"]))
        return JSONResponse(row or {"error": "unknown webhook"}, 200 if row else 404)

    async def clock(request: Request) -> JSONResponse:
        if request.method == "PUT":
            data = await request.json()
            try:
                if data.get("now_gmt"):  # "it is now 2024-03-01T09:00:00 UTC"
                    wanted = datetime.strptime(data["now_gmt"], DATE_FMT).replace(tzinfo=timezone.utc)
                    site.clock.skew = wanted - datetime.now(timezone.utc)
                else:
                    offset = float(data.get("offset_seconds", 0))
                    if abs(offset) > 100 * 365 * 86400:
                        raise ValueError("offset_seconds is more than a century")
                    site.clock.skew = timedelta(seconds=offset)
            except (TypeError, ValueError) as exc:
                return JSONResponse({"error": str(exc)}, 400)
        return JSONResponse({"offset_seconds": site.clock.skew.total_seconds(),
                             "now_gmt": site.clock.now_gmt()})

    async def requests_log(request: Request) -> JSONResponse:
        try:
            since = int(request.query_params.get("since", "0"))
        except ValueError:
            return JSONResponse({"error": "since must be an integer"}, 400)
        return JSONResponse(site.requests.since(since))

    async def create_key(request: Request) -> JSONResponse:
        data = await request.json() if await request.body() else {}
        key = new_key(data.get("permissions", "read_write"))
        auth.keys[key.consumer_key] = key
        extra = site.db.kv_get("extra_keys") or []
        extra.append(key.__dict__)
        site.db.kv_set("extra_keys", extra)
        return JSONResponse(key.__dict__, 201)

    return [
        Route("/health", health),
        Route("/faults", get_faults, methods=["GET"]),
        Route("/faults", put_faults, methods=["PUT", "POST"]),
        Route("/faults", reset_faults, methods=["DELETE"]),
        Route("/settings", get_settings, methods=["GET"]),
        Route("/settings", put_settings, methods=["PUT", "POST"]),
        Route("/settings", reset_settings, methods=["DELETE"]),
        Route("/orders/{id:int}/edit", edit_order, methods=["POST", "PUT", "PATCH"]),
        Route("/page_view", page_view, methods=["POST", "GET"]),
        Route("/webhooks/queue", queue, methods=["GET"]),
        Route("/stock", get_stock, methods=["GET"]),
        Route("/stock", put_stock, methods=["PUT", "POST"]),
        Route("/orders/{id:int}/restore", restore_order, methods=["POST"]),
        Route("/deliveries", deliveries),
        Route("/webhooks/drain", drain, methods=["POST"]),
        Route("/webhooks/{id:int}", webhook_state),
        Route("/keys", create_key, methods=["POST"]),
        Route("/requests", requests_log, methods=["GET"]),
        Route("/clock", clock, methods=["GET", "PUT"]),
    ]
