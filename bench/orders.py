"""The benchmark's orders: a seeded mix of carts, placed in the sandbox store
through the official `woocommerce` client, as a checkout would place them.

Each phase has its own customer pool of the same size, so repeat and
first-time customers (a new ERP party) come in the same proportion on
every side and no phase finds parties another one created.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import httpx

from sandbox.catalog import CATALOG
from systems.woocommerce.oauth import StoreAPI

SKUS = [item.sku for item in CATALOG if item.parent_sku is None]
PLENTY = 1_000_000  # store stock, so no order of a long run is refused or backordered


@dataclass(frozen=True)
class OrderSpec:
    lines: dict[str, int]  # sku -> quantity
    email: str
    shipping: bool
    coupon: str | None


def order_specs(count: int, *, seed: int, phase: str) -> list[OrderSpec]:
    """`count` carts: 1-3 products of 1-3 units, shipping on most, a coupon on some;
    customers drawn from a pool of count/2, so about half are repeat buyers."""
    rng = random.Random(f"{seed}:{phase}")
    pool = max(1, count // 2)
    specs = []
    for _ in range(count):
        skus = rng.sample(SKUS, rng.randint(1, 3))
        specs.append(OrderSpec(
            lines={sku: rng.randint(1, 3) for sku in skus},
            email=f"bench-{phase}-{rng.randrange(pool)}@example.com",
            shipping=rng.random() < 0.7, coupon="save10" if rng.random() < 0.25 else None))
    return specs


class Shop:
    """Places orders in the store; thread-safe (one `requests` call per order)."""

    def __init__(self, url: str, consumer_key: str, consumer_secret: str) -> None:
        self.url = url
        self.api = StoreAPI(url=url, consumer_key=consumer_key, consumer_secret=consumer_secret,
                            version="wc/v3", timeout=30)
        self._product_ids: dict[str, int] = {}

    def prepare(self) -> None:
        """Look up product ids and give every product plenty of stock."""
        for sku in SKUS:
            found = self._checked(self.api.get("products", params={"sku": sku}))
            self._product_ids[sku] = found[0]["id"]
            httpx.put(f"{self.url}/__sandbox/stock", json={"sku": sku, "stock_quantity": PLENTY},
                      timeout=30).raise_for_status()

    def place(self, spec: OrderSpec) -> dict[str, Any]:
        """A paid checkout; returns the order as the REST API renders it."""
        name = spec.email.partition("@")[0]
        address = {"first_name": "Bench", "last_name": name, "address_1": "1 Loop Rd",
                   "city": "Springfield", "postcode": "62701", "country": "US",
                   "email": spec.email}
        body: dict[str, Any] = {
            "payment_method": "sandbox_card", "payment_method_title": "Card", "set_paid": True,
            "billing": address, "shipping": address,
            "line_items": [{"product_id": self._product_ids[sku], "quantity": qty}
                           for sku, qty in spec.lines.items()],
        }
        if spec.shipping:
            body["shipping_lines"] = [{"method_id": "flat_rate", "method_title": "Flat rate",
                                       "total": "5.00"}]
        if spec.coupon:
            body["coupon_lines"] = [{"code": spec.coupon}]
        return self._checked(self.api.post("orders", body))

    @staticmethod
    def _checked(response) -> Any:
        if response.status_code >= 400:
            raise RuntimeError(f"store answered {response.status_code}: {response.text[:500]}")
        return response.json()
