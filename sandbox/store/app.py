"""The ASGI app: /wp-json/wc/v3/* as WordPress serves it, plus /__sandbox/* admin routes."""
from __future__ import annotations

import asyncio
import json
import math
from contextlib import asynccontextmanager
from typing import Any, Callable
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from sandbox.store import products, render
from sandbox.store.auth import AuthRequest, Authenticator, check_permission
from sandbox.store.errors import WooError, no_route
from sandbox.store.faults import FaultInjector
from sandbox.store.router import Ctx, Reply, Routes, permission_error
from sandbox.store.routes import customers, load as load_routes
from sandbox.store.site import Site
from sandbox.store.webhooks import WebhookService, php_json

PREFIX = "/wp-json/"
NAMESPACE = "wc/v3/"
# A bot check as hosts and WAFs put in front of a site: HTML, no JSON anywhere
CAPTCHA_PAGE = """<!DOCTYPE html>
<html lang="en-US"><head><meta charset="UTF-8"><title>Just a moment...</title>
<meta name="robots" content="noindex,nofollow"></head>
<body><div id="challenge"><h1>Checking your browser before accessing the site.</h1>
<p>Please complete the security check to continue.</p>
<form id="challenge-form" action="/?__captcha=1" method="POST">
<div class="captcha" data-sitekey="sandbox"></div><noscript>Please enable JavaScript.</noscript>
</form></div></body></html>
"""


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    # WordPress answers with wp_json_encode output: compact, '/' escaped
    return Response(php_json(body), status, headers, media_type="application/json; charset=UTF-8")


class StoreApp:
    def __init__(self, site: Site, auth: Authenticator, faults: FaultInjector,
                 strict_home: bool, trust_forwarded_proto: bool = False):
        self.site = site
        self.auth = auth
        self.faults = faults
        self.routes: Routes = load_routes()
        self.strict_home = strict_home
        self.trust_forwarded_proto = trust_forwarded_proto

    # -- the REST entry point ----------------------------------------------------
    async def rest(self, request: Request) -> Response:
        response = await self._rest(request)
        self.site.requests.add(request.method, request.url.path[len(PREFIX + NAMESPACE):],
                               response.status_code)
        return response

    async def _rest(self, request: Request) -> Response:
        f = self.faults.faults
        targeted = self.faults.matches(request.method, request.url.path[len(PREFIX + NAMESPACE):])
        if targeted and f.latency_ms and self.faults.hit(f.latency_rate):
            await asyncio.sleep(f.latency_ms / 1000)
        if targeted:
            edge = self._edge_fault()
            if edge is not None:
                return edge  # answered in front of WordPress: nothing ran
        fail_after = targeted and self.faults.take("rest_5xx_next", f.rest_5xx_rate)
        if fail_after and f.rest_5xx_mode != "after":
            return self._server_error()
        if self.site.webhooks is not None:
            self.site.webhooks.page_view()  # WordPress loads: WP-Cron may run
        body = await request.body()
        status, payload, headers = await run_in_threadpool(self._handle, request, body)
        if fail_after:
            return self._server_error()  # the write happened; the client never hears of it
        return json_response(payload, status, headers)

    def _edge_fault(self) -> Response | None:
        """What a host's rate limiter or a WAF answers instead of the store."""
        f = self.faults.faults
        storm = self.faults.storm_left()
        if storm > 0:
            return Response("Too Many Requests", 429, {"Retry-After": str(math.ceil(storm))},
                            media_type="text/plain")
        if self.faults.take("rest_429_next", f.rest_429_rate):
            return Response("Too Many Requests", 429, {"Retry-After": str(f.retry_after)},
                            media_type="text/plain")
        if self.faults.take("rest_html_next", f.rest_html_rate):
            return Response(CAPTCHA_PAGE, f.rest_html_status, media_type="text/html; charset=UTF-8")
        return None

    def _server_error(self) -> Response:
        status = self.faults.faults.rest_5xx_status
        return Response(f"<html><body><h1>{status} Service Unavailable</h1></body></html>", status,
                        media_type="text/html")

    def _is_ssl(self, request: Request) -> bool:
        if request.url.scheme == "https":
            return True
        return self.trust_forwarded_proto and request.headers.get("x-forwarded-proto") == "https"

    def home(self, request: Request) -> str:
        if self.strict_home:
            return self.site.home_url
        scheme = "https" if self._is_ssl(request) else "http"
        return f"{scheme}://{request.headers.get('host', request.url.netloc)}"

    def _handle(self, request: Request, raw: bytes) -> tuple[int, Any, dict[str, str]]:
        try:
            reply = self._dispatch(request, raw)
        except WooError as err:
            return err.http_status, err.body(), err.headers
        for fn in reply.after:
            fn()
        return reply.status, reply.body, reply.headers

    @staticmethod
    def _form(request: Request, raw: bytes) -> dict[str, str]:
        """$_POST: form fields take part in the OAuth signature, a JSON body never does."""
        if "application/x-www-form-urlencoded" not in request.headers.get("content-type", ""):
            return {}
        return dict(parse_qsl(raw.decode(), keep_blank_values=True))

    @staticmethod
    def _json_body(raw: bytes, form: dict[str, str]) -> Any:
        if form or not raw.strip():
            return form or None
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise WooError("rest_invalid_json", "Invalid JSON body passed.",
                           data={"status": 400, "json_error_code": 4,
                                 "json_error_message": str(exc)}) from None

    def _dispatch(self, request: Request, raw: bytes) -> Reply:
        """WordPress's order: authenticate, route, check permission, then validate and run."""
        path = request.url.path[len(PREFIX):]
        if not path.startswith(NAMESPACE):
            raise no_route()
        method = request.method.upper()
        query_items = list(request.query_params.multi_items())
        form = self._form(request, raw)
        home = self.home(request)
        key = self.auth.authenticate(AuthRequest(
            method=method, is_ssl=self._is_ssl(request), base_url=home.rstrip("/") + request.url.path,
            params={**dict(query_items), **form}, authorization=request.headers.get("authorization")))
        match = self.routes.match(method, path[len(NAMESPACE):].rstrip("/"))
        if match is None:
            raise no_route()
        route, args = match
        if key is None:
            raise permission_error(route.permission)
        check_permission(key, method)
        body = self._json_body(raw, form)
        ctx = Ctx(self.site, method, path[len(NAMESPACE):], query_items, body, key, home)
        return self._run(lambda: route.handler(ctx, **args))

    def _run(self, handler: Callable[[], Reply]) -> Reply:
        """One transaction; the hooks it fired are queued only if it commits, and
        before another request can fire its own (the lock is held throughout)."""
        with self.site.db.lock:
            try:
                with self.site.db.tx():
                    try:
                        reply = handler()
                    except WooError as err:
                        if not err.commit:
                            raise
                        # an error answer that keeps its writes (the v3 draft order)
                        reply = Reply(err.body(), err.http_status, err.headers)
            except BaseException:
                self.site.flush_hooks(committed=False)
                raise
            self.site.flush_hooks(committed=True)
        return reply

    # -- webhook payloads: the REST representation at delivery time --------------
    def renderers(self) -> dict[str, Any]:
        site = self.site

        def order(id_: int) -> Any:
            o = site.db.get_post(id_, "order")
            if o is None:
                return WooError("woocommerce_rest_shop_order_invalid_id", "Invalid ID.", 404).body()
            return render.order(site, o, site.home_url)

        def product(id_: int) -> Any:
            p = products.get(site, id_)
            if p is None:
                return WooError("woocommerce_rest_product_invalid_id", "Invalid ID.", 404).body()
            return products.render(site, p, site.home_url)

        def customer(id_: int) -> Any:
            c = site.db.get_row("customers", "id", id_)
            if c is None:
                return WooError("woocommerce_rest_invalid_id", "Invalid resource ID.", 404).body()
            return customers.render(site, c, site.home_url)

        return {"order": order, "product": product, "customer": customer}


def build(store: StoreApp, admin_routes: list[Route], webhooks: WebhookService) -> Starlette:
    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]

    @asynccontextmanager
    async def lifespan(app: Starlette):
        webhooks.start()
        yield
        webhooks.stop()

    return Starlette(routes=[
        Route("/wp-json/{rest:path}", store.rest, methods=methods),
        Mount("/__sandbox", routes=admin_routes),
    ], lifespan=lifespan)


