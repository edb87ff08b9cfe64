"""First-start seeding from the shared demo catalog (sandbox/catalog.py)."""
from __future__ import annotations

from sandbox.catalog import CATALOG, STORE_ONLY, CatalogItem
from sandbox.store import categories, products
from sandbox.store.site import Site

# Coupon codes are stored lower-case (wc_format_coupon_code); customers type them any case.
COUPONS = (
    {"id": 1, "code": "save10", "discount_type": "percent", "amount": "10"},
    {"id": 2, "code": "fiveoff", "discount_type": "fixed_cart", "amount": "5"},
)


def _fields(item: CatalogItem) -> dict:
    return {"name": item.name, "sku": item.sku, "regular_price": str(item.price),
            "manage_stock": True, "stock_quantity": item.stock}


def seed(site: Site) -> None:
    with site.db.tx():
        categories.ensure_default(site)  # also for a data dir from before categories
        if site.db.kv_get("seeded"):
            return
        parents: dict[str, dict] = {}
        for item in CATALOG + STORE_ONLY:
            if item.parent_sku is None:
                products.create(site, _fields(item))
                continue
            if item.parent_sku not in parents:
                name = item.name.split(" - ")[0]
                parents[item.parent_sku] = products.create(site, {
                    "name": name, "sku": item.parent_sku, "type": "variable",
                    "attributes": [{"id": 0, "name": "Color", "variation": True, "visible": True,
                                    "options": []}]})
            parent = parents[item.parent_sku]
            option = item.name.split(" - ")[-1]
            parent["attributes"][0]["options"].append(option)
            products.create(site, {**_fields(item), "attributes": [{"id": 0, "name": "Color",
                                                                      "option": option}]}, parent)
        for coupon in COUPONS:
            site.db.save_row("coupons", "code", coupon["code"], coupon)
        site.db.kv_set("seeded", True)
        site.fired.clear()  # seeding is not an event anyone subscribed to
