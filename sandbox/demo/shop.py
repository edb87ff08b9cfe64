"""The shopper's side: orders placed through the store's REST API with the
official `woocommerce` client, exactly as a storefront or a script would."""
from __future__ import annotations

import asyncio
import itertools
from typing import Any

import requests

from systems.woocommerce.oauth import StoreAPI

CUSTOMERS = (
    ("Ada", "Lovelace", "ada@example.com", "London", "GB"),
    ("Grace", "Hopper", "grace@example.com", "Arlington", "US"),
    ("Alan", "Turing", "alan@example.com", "Wilmslow", "GB"),
    ("Katherine", "Johnson", "katherine@example.com", "Hampton", "US"),
)
PAYMENT = {"payment_method": "sandbox_card", "payment_method_title": "Card (sandbox)"}
RETRIES = 3  # idempotent calls only (GET, PUT); a POST is never repeated


class ShopError(Exception):
    """The store refused a call or could not be reached."""


class Shop:
    def __init__(self, url: str, consumer_key: str, consumer_secret: str) -> None:
        self.api = StoreAPI(url=url, consumer_key=consumer_key, consumer_secret=consumer_secret,
                            version="wc/v3", timeout=15)
        self._customers = itertools.cycle(CUSTOMERS)

    async def _call(self, method: str, path: str, data: dict[str, Any] | None = None) -> Any:
        attempts = RETRIES if method in ("get", "put") else 1
        for attempt in range(1, attempts + 1):
            try:
                resp = await asyncio.to_thread(self._send, method, path, data)
            except requests.RequestException as exc:
                error = f"{method.upper()} {path}: {type(exc).__name__}: {exc}"
            else:
                if resp.status_code < 400:
                    return resp.json()
                error = f"{method.upper()} {path}: HTTP {resp.status_code} {resp.text[:300]}"
                if resp.status_code < 500 and resp.status_code != 429:
                    break  # the store said no; asking again will not change that
            if attempt < attempts:
                await asyncio.sleep(attempt)
        raise ShopError(error)

    def _send(self, method: str, path: str, data: dict[str, Any] | None):
        call = getattr(self.api, method)
        return call(path) if data is None else call(path, data)

    def _billing(self) -> dict[str, str]:
        first, last, email, city, country = next(self._customers)
        return {"first_name": first, "last_name": last, "email": email,
                "address_1": "1 Demo Street", "city": city, "postcode": "12345",
                "country": country}

    async def place_order(self, lines: dict[str, int], *, coupon: str | None = None,
                          shipping: str | None = None) -> dict[str, Any]:
        """A paid order of `lines` (SKU -> quantity); it goes to `processing`."""
        billing = self._billing()
        body: dict[str, Any] = {
            **PAYMENT, "set_paid": True, "billing": billing,
            "shipping": {k: v for k, v in billing.items() if k != "email"},
            "line_items": [{"sku": sku, "quantity": qty} for sku, qty in lines.items()],
        }
        if coupon:
            body["coupon_lines"] = [{"code": coupon}]
        if shipping:
            body["shipping_lines"] = [{"method_id": "flat_rate", "method_title": "Flat rate",
                                       "total": shipping}]
        return await self._call("post", "orders", body)

    async def cancel(self, order_id: int) -> dict[str, Any]:
        return await self._call("put", f"orders/{order_id}", {"status": "cancelled"})

    async def order(self, order_id: int) -> dict[str, Any]:
        return await self._call("get", f"orders/{order_id}")

    async def refunds(self, order_id: int) -> list[dict[str, Any]]:
        return await self._call("get", f"orders/{order_id}/refunds")


def line_id(order: dict[str, Any], sku: str) -> int:
    """The Woo line item id of `sku` in an order (refunds and returns name lines by it)."""
    for item in order["line_items"]:
        if item.get("sku") == sku:
            return int(item["id"])
    raise ShopError(f"order {order['id']} has no line for {sku}")
