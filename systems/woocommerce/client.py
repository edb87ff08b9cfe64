"""WooCommerce REST v3 system API: the calls the sagas make, typed and classified.

Wraps the official `woocommerce` package (`woocommerce.API`, with a nonce
that cannot repeat: oauth.py) so stores are
reached exactly as WooCommerce documents: OAuth 1.0a in the query string
over http, Basic auth (or query-string keys) over https. The package is
synchronous (requests), so activities run it in a thread pool. Every call
carries the configured timeout; errors become WooRetryableError or
WooClientError (see errors.py). No retries here: Temporal owns retries.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Iterable, Iterator, NamedTuple

import requests
from systems.woocommerce.oauth import StoreAPI

from systems.woocommerce.errors import (WooUnexpectedResponse, from_transport,
                                        raise_for_response)

BATCH_LIMIT = 100  # WooCommerce rejects bigger batches with 413
SKU_PAGES = 5  # pages read per chunk of SKUs, whatever the store says it has
MAX_COUNT = 10**9  # X-WP-Total and X-WP-TotalPages are believed up to this
WOO_DATE = "%Y-%m-%dT%H:%M:%S"


class Page(NamedTuple):
    items: list[dict[str, Any]]
    total: int
    total_pages: int


@dataclass(frozen=True)
class StockUpdate:
    product_id: int
    stock_quantity: int
    parent_id: int | None = None  # set for a variation: it lives under its parent


@dataclass
class BatchResult:
    updated: list[int] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)  # {id, code, message, status}
    calls: int = 0  # batch requests made


def woo_gmt(value: datetime) -> str:
    """A filter date in UTC without offset, to be sent with dates_are_gmt=true.

    No '+' or '/' in it: the python client signs such values wrongly (CONTRACT 6.4).
    """
    if value.tzinfo is None:
        raise ValueError("modified_after must be timezone-aware")
    return value.astimezone(timezone.utc).strftime(WOO_DATE)


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _header_count(resp: requests.Response, name: str, default: int) -> int:
    """A paging header as a bounded count; one that is not a number is an
    answer WooCommerce did not send (a proxy rewrote it), retried as such."""
    value = resp.headers.get(name)
    if value is None:
        return default
    try:
        count = int(value.strip())
    except ValueError:
        raise WooUnexpectedResponse(f"{name} is not a number: {value[:40]!r}",
                                    resp.status_code) from None
    return max(0, min(count, MAX_COUNT))


class WooClient:
    def __init__(self, url: str, consumer_key: str, consumer_secret: str, *,
                 timeout: float = 10.0, verify: bool | str = True,
                 query_string_auth: bool = False):
        self.url = url
        self._timeout, self._verify = timeout, verify
        self._api = StoreAPI(url=url, consumer_key=consumer_key,
                             consumer_secret=consumer_secret, version="wc/v3", timeout=timeout,
                             verify_ssl=verify, query_string_auth=query_string_auth)

    def __repr__(self) -> str:  # keys stay out of logs and tracebacks
        return f"WooClient({self.url!r})"

    # -- transport ----------------------------------------------------------------
    def _call(self, method: str, endpoint: str, data: Any = None,
              params: dict[str, Any] | None = None) -> requests.Response:
        # plain strings only: the client signs lists and '/' wrongly (CONTRACT 6.4)
        kwargs: dict[str, Any] = {"params": {k: _param(v) for k, v in (params or {}).items()}}
        try:
            if method in ("POST", "PUT"):
                resp = getattr(self._api, method.lower())(endpoint, data, **kwargs)
            else:
                resp = getattr(self._api, method.lower())(endpoint, **kwargs)
        except requests.RequestException as exc:
            raise from_transport(exc) from None
        raise_for_response(resp)
        return resp

    def _json(self, resp: requests.Response) -> Any:
        try:
            return resp.json()
        except ValueError:
            raise WooUnexpectedResponse(f"not JSON: {resp.text[:120]!r}", resp.status_code) from None

    def _get(self, endpoint: str, **params: Any) -> Any:
        return self._json(self._call("GET", endpoint, params=params))

    def _page(self, endpoint: str, params: dict[str, Any]) -> Page:
        resp = self._call("GET", endpoint, params=params)
        items = self._json(resp)
        if not isinstance(items, list):  # a proxy's or plugin's JSON, not the collection
            raise WooUnexpectedResponse(f"not a list: {str(items)[:120]!r}", resp.status_code)
        return Page(items, _header_count(resp, "X-WP-Total", len(items)),
                    _header_count(resp, "X-WP-TotalPages", 1))

    # -- orders ---------------------------------------------------------------------
    def get_order(self, order_id: int) -> dict[str, Any]:
        return self._get(f"orders/{int(order_id)}")

    def list_orders(self, modified_after: datetime | None = None, page: int = 1,
                    per_page: int = 100, status: str | Iterable[str] | None = None,
                    modified_before: datetime | None = None, offset: int = 0) -> Page:
        """One page, oldest modification first, filtered on the *_gmt columns.

        `modified_after` is exclusive and has one-second resolution: callers
        overlap windows and dedupe by (id, date_modified_gmt). checkout-draft
        orders (block checkout before payment) are dropped from `items`.
        """
        params: dict[str, Any] = {"page": page, "per_page": per_page, "orderby": "modified",
                                  "order": "asc", "dates_are_gmt": "true"}
        if modified_after is not None:
            params["modified_after"] = woo_gmt(modified_after)
        if modified_before is not None:  # exclusive too: a window's end
            params["modified_before"] = woo_gmt(modified_before)
        if status:
            params["status"] = status if isinstance(status, str) else ",".join(status)
        if offset:  # WooCommerce: offset overrides page
            params["offset"] = int(offset)
        result = self._page("orders", params)
        return result._replace(items=[o for o in result.items if o.get("status") != "checkout-draft"])

    def iter_orders(self, modified_after: datetime | None = None,
                    status: str | Iterable[str] | None = None) -> Iterator[dict[str, Any]]:
        """Every order modified after the date, each (id, date_modified_gmt) once.

        Page numbers are not a snapshot: an order modified while we page moves
        to the end (seen again, deduped) and may shift one neighbour back a
        page. Reconciliation windows overlap for that reason.
        """
        seen: set[tuple[int, str]] = set()
        page = 1
        while True:
            result = self.list_orders(modified_after, page=page, status=status)
            for order in result.items:
                key = (order["id"], order.get("date_modified_gmt") or "")
                if key not in seen:
                    seen.add(key)
                    yield order
            if page >= result.total_pages:
                return
            page += 1

    def update_order(self, order_id: int, **fields: Any) -> dict[str, Any]:
        """PUT the given fields, e.g. status="completed", meta_data=[{"key":..,"value":..}]."""
        return self._json(self._call("PUT", f"orders/{int(order_id)}", fields))

    def add_order_note(self, order_id: int, note: str, customer_note: bool = False) -> dict[str, Any]:
        return self._json(self._call("POST", f"orders/{int(order_id)}/notes",
                                     {"note": note, "customer_note": customer_note}))

    def list_order_notes(self, order_id: int) -> list[dict[str, Any]]:
        """Every note of the order, newest first (the endpoint does not page)."""
        notes = self._json(self._call("GET", f"orders/{int(order_id)}/notes"))
        return [n for n in notes if isinstance(n, dict)] if isinstance(notes, list) else []

    # -- refunds --------------------------------------------------------------------
    def list_refunds(self, order_id: int) -> list[dict[str, Any]]:
        out, page = [], 1
        while True:
            result = self._page(f"orders/{int(order_id)}/refunds", {"page": page, "per_page": 100})
            out += result.items
            if page >= result.total_pages:
                return out
            page += 1

    def create_refund(self, order_id: int, amount: Decimal, reason: str = "",
                      line_items: list[dict[str, Any]] | None = None, api_refund: bool = True,
                      api_restock: bool = False) -> dict[str, Any]:
        """POST a refund. api_refund=True moves money through the order's gateway;
        offline orders (bacs, cod) must pass False or WooCommerce refuses."""
        if not isinstance(amount, Decimal):
            raise TypeError("amount must be a Decimal")
        body: dict[str, Any] = {"amount": f"{amount:f}", "reason": reason,
                                "api_refund": api_refund, "api_restock": api_restock}
        if line_items:
            body["line_items"] = line_items
        return self._json(self._call("POST", f"orders/{int(order_id)}/refunds", body))

    # -- products and stock -----------------------------------------------------------
    def product_by_sku(self, sku: str) -> dict[str, Any] | None:
        """The product or variation with exactly this SKU (variations carry parent_id)."""
        found = self._get("products", sku=sku, per_page=10)
        return next((p for p in found if p.get("sku") == sku), None)

    def batch_update_stock(self, updates: Iterable[StockUpdate]) -> BatchResult:
        """Set managed stock, at most 100 items per batch call, variations under their parent."""
        groups: dict[int | None, list[StockUpdate]] = {}
        for u in updates:
            groups.setdefault(u.parent_id, []).append(u)
        result = BatchResult()
        for parent, items in groups.items():
            endpoint = f"products/{parent}/variations/batch" if parent else "products/batch"
            for start in range(0, len(items), BATCH_LIMIT):
                chunk = items[start:start + BATCH_LIMIT]
                body = {"update": [{"id": u.product_id, "manage_stock": True,
                                    "stock_quantity": u.stock_quantity} for u in chunk]}
                result.calls += 1
                self._collect(self._json(self._call("POST", endpoint, body)), result)
        return result

    @staticmethod
    def _collect(response: dict[str, Any], result: BatchResult) -> None:
        if not isinstance(response, dict) or not isinstance(response.get("update", []), list):
            raise WooUnexpectedResponse(f"not a batch answer: {str(response)[:120]!r}")
        for entry in response.get("update", []):
            if "error" in entry:
                err = entry["error"]
                data = err.get("data")
                result.errors.append({"id": entry.get("id"), "code": err.get("code"),
                                      "message": err.get("message"),
                                      "status": data.get("status") if isinstance(data, dict) else data})
            else:
                result.updated.append(entry["id"])

    def products_by_skus(self, skus: Iterable[str], chunk: int = 50) -> list[dict[str, Any]]:
        """Products and variations with exactly these SKUs (`sku=A,B,...`
        matches both post types, CONTRACT.md 4.1), a page of 100 per call."""
        wanted, found = sorted(set(skus)), []
        for start in range(0, len(wanted), chunk):
            part = wanted[start:start + chunk]
            # A SKU names one product or variation, so a chunk fits one page;
            # the store's X-WP-TotalPages is believed up to SKU_PAGES only.
            for page in range(1, SKU_PAGES + 1):
                result = self._page("products", {"sku": ",".join(part), "per_page": 100,
                                                  "page": page})
                found += [p for p in result.items if p.get("sku") in part]
                if page >= result.total_pages or not result.items:
                    break
        return found

    def update_stock(self, update: StockUpdate) -> dict[str, Any]:
        """One product's or variation's stock, outside a batch."""
        endpoint = (f"products/{int(update.parent_id)}/variations/{int(update.product_id)}"
                    if update.parent_id else f"products/{int(update.product_id)}")
        return self._json(self._call("PUT", endpoint, {"manage_stock": True,
                                                       "stock_quantity": update.stock_quantity}))

    def iter_products(self, per_page: int = 100, limit: int = 10_000) -> Iterator[dict[str, Any]]:
        """Every product (variations are under their parent: `variations`),
        at most `limit` of them."""
        yield from self._pages("products", per_page, limit)

    def iter_variations(self, product_id: int, per_page: int = 100,
                        limit: int = 1_000) -> Iterator[dict[str, Any]]:
        yield from self._pages(f"products/{int(product_id)}/variations", per_page, limit)

    def _pages(self, endpoint: str, per_page: int, limit: int) -> Iterator[dict[str, Any]]:
        page, seen = 1, 0
        while seen < limit:
            result = self._page(endpoint, {"page": page, "per_page": per_page,
                                           "orderby": "id", "order": "asc"})
            for item in result.items[:limit - seen]:
                yield item
            seen += len(result.items)
            if page >= result.total_pages or not result.items:
                return
            page += 1

    # -- the store itself (what `wooerp doctor` asks) --------------------------------
    def recent_orders(self, count: int = 50) -> list[dict[str, Any]]:
        """The newest orders by creation date (checkout drafts left out)."""
        found = self._get("orders", per_page=max(1, min(count, 100)), orderby="date",
                          order="desc")
        return [o for o in found if o.get("status") != "checkout-draft"]

    def system_status(self) -> dict[str, Any]:
        """WooCommerce's own report: environment (versions, home_url), settings."""
        return self._get("system_status")

    def settings_group(self, group: str) -> dict[str, Any]:
        """`settings/<group>` as {option id: value} (general: woocommerce_currency...)."""
        return {o["id"]: o.get("value") for o in self._get(f"settings/{group}")
                if isinstance(o, dict) and "id" in o}

    def payment_gateways(self) -> list[dict[str, Any]]:
        """Installed gateways: id, enabled, method_supports (has "refunds" or not)."""
        return self._get("payment_gateways")

    def check_write(self) -> None:
        """An empty batch: changes nothing, but WooCommerce checks the key's
        write permission before it, so a read-only key fails here."""
        self._call("POST", "products/batch", {})

    def site_index(self) -> dict[str, Any] | None:
        """The WordPress REST index (`/wp-json/`, no authentication): `home` is
        the site URL OAuth signatures are checked against. None if the site
        does not serve it."""
        try:
            resp = requests.get(f"{self.url.rstrip('/')}/wp-json/", timeout=self._timeout,
                                verify=self._verify)
        except requests.RequestException as exc:
            raise from_transport(exc) from None
        if resp.status_code != 200:
            return None
        try:
            body = resp.json()
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    # -- webhooks -----------------------------------------------------------------------
    def list_webhooks(self) -> list[dict[str, Any]]:
        return self._get("webhooks", per_page=100)

    def create_webhook(self, topic: str, delivery_url: str, secret: str,
                       name: str | None = None, status: str = "active") -> dict[str, Any]:
        body = {"topic": topic, "delivery_url": delivery_url, "secret": secret, "status": status}
        if name:
            body["name"] = name
        return self._json(self._call("POST", "webhooks", body))

    def update_webhook(self, webhook_id: int, **fields: Any) -> dict[str, Any]:
        return self._json(self._call("PUT", f"webhooks/{int(webhook_id)}", fields))
