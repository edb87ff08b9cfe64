"""A shopper and a shop manager, using the store through the real `woocommerce`
client exactly as WooCommerce's own tools would."""
from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from systems.woocommerce.oauth import StoreAPI
from tests.fixtures.store import SandboxStore

# The catalog SKUs the e2e tests buy. WOO-HOODIE is left alone on purpose:
# tests/test_erp_tryton.py asserts its seeded stock in the shared ERP.
TSHIRT, POSTER, MUG = "WOO-TSHIRT", "WOO-POSTER", "WOO-MUG"
TITLES = {"sandbox_card": "Card", "bacs": "Direct bank transfer", "cheque": "Check payments",
          "cod": "Cash on delivery"}


def _checked(response) -> Any:
    body = response.json()
    if response.status_code >= 400:
        raise AssertionError(f"store answered {response.status_code}: {body}")
    return body


def meta(order: dict[str, Any], key: str) -> Any:
    return next((m["value"] for m in order.get("meta_data", []) if m["key"] == key), None)


class Shop:
    def __init__(self, store: SandboxStore) -> None:
        self.api: StoreAPI = store.api()
        self._ids: dict[str, int] = {}

    def product_id(self, sku: str) -> int:
        if sku not in self._ids:
            found = _checked(self.api.get("products", params={"sku": sku}))
            assert found, f"no product {sku} in the store"
            self._ids[sku] = found[0]["id"]
        return self._ids[sku]

    def place_order(self, lines: dict[str, int], *, set_paid: bool = True,
                    coupon: str | None = None, shipping: str | None = "5.00",
                    payment_method: str = "sandbox_card") -> dict[str, Any]:
        """A checkout: every order has its own customer, so ERP parties never mix."""
        email = f"e2e-{uuid.uuid4().hex[:10]}@example.com"
        address = {"first_name": "Grace", "last_name": "Hopper", "address_1": "1 Navy Way",
                   "city": "Arlington", "postcode": "22202", "country": "US", "email": email}
        body: dict[str, Any] = {
            "payment_method": payment_method, "payment_method_title": TITLES.get(payment_method, payment_method),
            "set_paid": set_paid, "billing": address, "shipping": address,
            "line_items": [{"product_id": self.product_id(sku), "quantity": qty}
                           for sku, qty in lines.items()],
        }
        if shipping:
            body["shipping_lines"] = [{"method_id": "flat_rate", "method_title": "Flat rate",
                                       "total": shipping}]
        if coupon:
            body["coupon_lines"] = [{"code": coupon}]
        return _checked(self.api.post("orders", body))

    def order(self, order_id: int) -> dict[str, Any]:
        return _checked(self.api.get(f"orders/{order_id}"))

    def update(self, order_id: int, **fields: Any) -> dict[str, Any]:
        return _checked(self.api.put(f"orders/{order_id}", fields))

    def notes(self, order_id: int) -> list[str]:
        return [n["note"] for n in _checked(self.api.get(f"orders/{order_id}/notes"))]

    def create_product(self, sku: str, price: Decimal, stock: int) -> dict[str, Any]:
        return _checked(self.api.post("products", {
            "name": f"Print {sku}", "sku": sku, "regular_price": str(price),
            "manage_stock": True, "stock_quantity": stock}))
