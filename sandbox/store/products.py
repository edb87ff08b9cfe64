"""Products and variations: storage, stock rules and REST rendering (CONTRACT.md 4.1)."""
from __future__ import annotations

import re
from typing import Any

from sandbox.store import categories
from sandbox.store.errors import WooError
from sandbox.store.fmt import dec
from sandbox.store.site import Site

PRODUCT_TYPES = ("simple", "variable")


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "product"


def get(site: Site, product_id: int) -> dict[str, Any] | None:
    return site.db.get_post(product_id, "product", "variation")


def by_sku(site: Site, sku: str) -> dict[str, Any] | None:
    rows = site.db.query_posts("sku=? AND type IN ('product','variation')", (sku,), "id")
    return rows[0] if rows else None


def _check_sku(site: Site, sku: str | None, own_id: int | None) -> None:
    if not sku:
        return
    other = by_sku(site, sku)
    if other and other["id"] != own_id:
        raise WooError("product_invalid_sku", "Invalid or duplicated SKU.",
                       data={"status": 400, "resource_id": other["id"], "unique_sku": f"{sku}-1"})


def _derive_stock_status(obj: dict[str, Any]) -> None:
    if obj["manage_stock"] is True:
        qty = obj["stock_quantity"] or 0
        if qty > 0:
            obj["stock_status"] = "instock"
        else:
            obj["stock_status"] = "onbackorder" if obj["backorders"] != "no" else "outofstock"


def apply_fields(site: Site, obj: dict[str, Any], data: dict[str, Any]) -> None:
    """Write rules of the v3 products/variations controllers (the subset we model)."""
    for name in ("name", "description", "short_description", "status", "tax_status",
                 "tax_class", "backorders", "virtual", "downloadable", "attributes"):
        if name in data:
            obj[name] = data[name]
    if "sku" in data:
        _check_sku(site, data["sku"], obj.get("id"))
        obj["sku"] = data["sku"]
    for name in ("regular_price", "sale_price"):
        if name in data:
            obj[name] = str(data[name] or "")
    obj["price"] = obj.get("sale_price") or obj.get("regular_price") or ""
    if "meta_data" in data:
        upsert_meta(site, obj, data["meta_data"])
    if obj["type"] != "variation" and isinstance(data.get("categories"), list):
        categories.assign(site, obj, data["categories"])
    _apply_stock(obj, data)


def _apply_stock(obj: dict[str, Any], data: dict[str, Any]) -> None:
    if obj["type"] == "variable":
        return  # a variable parent's stock status comes from its variations
    if "manage_stock" in data:
        obj["manage_stock"] = bool(data["manage_stock"]) and data["manage_stock"] != "parent"
    if obj["manage_stock"]:
        if data.get("stock_quantity") is not None:
            obj["stock_quantity"] = int(data["stock_quantity"])
        elif data.get("inventory_delta") is not None:
            obj["stock_quantity"] = (obj["stock_quantity"] or 0) + int(data["inventory_delta"])
        elif obj["stock_quantity"] is None:
            obj["stock_quantity"] = 0
        _derive_stock_status(obj)
    else:
        obj["stock_quantity"] = None
        if obj["type"] == "variation":
            obj["backorders"] = "no"
        if data.get("stock_status"):
            obj["stock_status"] = data["stock_status"]


def upsert_meta(site: Site, obj: dict[str, Any], entries: list[dict[str, Any]]) -> None:
    """update_meta_data(key, value, id): by id when given, else by key."""
    meta = obj.setdefault("meta_data", [])
    for entry in entries or []:
        match = next((m for m in meta if (entry.get("id") and m["id"] == entry.get("id"))
                      or (not entry.get("id") and m["key"] == entry.get("key"))), None)
        if match is None:
            meta.append({"id": site.db.next_id("meta"), "key": entry.get("key"),
                         "value": entry.get("value")})
        elif entry.get("value") is None and "value" in entry:
            meta.remove(match)
        else:
            match["value"] = entry.get("value")


def create(site: Site, data: dict[str, Any], parent: dict[str, Any] | None = None) -> dict[str, Any]:
    now = site.clock.now_gmt()
    type_ = "variation" if parent else data.get("type", "simple")
    if type_ not in PRODUCT_TYPES + ("variation",):
        raise WooError("rest_invalid_param", "Invalid parameter(s): type",
                       data={"status": 400, "params": {"type": "type is not one of simple and variable."}})
    name = data.get("name") or (parent["name"] if parent else "Product")
    obj: dict[str, Any] = {
        "id": site.db.next_id("posts"), "type": type_, "name": name, "slug": slugify(name),
        "parent_id": parent["id"] if parent else 0, "status": "publish", "sku": "",
        "regular_price": "", "sale_price": "", "price": "", "description": "",
        "short_description": "", "tax_status": "taxable", "tax_class": "",
        "manage_stock": False, "stock_quantity": None, "stock_status": "instock",
        "backorders": "no", "virtual": False, "downloadable": False, "attributes": [],
        "variations": [], "total_sales": 0, "meta_data": [],
        "date_created_gmt": now, "date_modified_gmt": now,
    }
    if type_ != "variation":
        categories.assign(site, obj, [])  # update_terms(force): the default category
    apply_fields(site, obj, data)
    save(site, obj)
    if parent:
        parent["variations"].append(obj["id"])
        save(site, parent, touch=False)
    site.fire("product.created", obj["id"])
    return obj


def save(site: Site, obj: dict[str, Any], touch: bool = True) -> None:
    if touch:
        obj["date_modified_gmt"] = site.clock.now_gmt()
    site.db.save_post(obj, "variation" if obj["type"] == "variation" else "product")
    if obj["type"] == "variation":
        _sync_parent_stock_status(site, obj["parent_id"])


def _sync_parent_stock_status(site: Site, parent_id: int) -> None:
    parent = site.db.get_post(parent_id, "product")
    if not parent:
        return
    children = [site.db.get_post(v, "variation") for v in parent["variations"]]
    status = "instock" if any(c and c["stock_status"] == "instock" for c in children) else "outofstock"
    if parent["stock_status"] != status:
        parent["stock_status"] = status
        site.db.save_post(parent, "product")


def update(site: Site, obj: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    apply_fields(site, obj, data)
    save(site, obj)
    site.fire("product.updated", obj["id"])
    return obj


def change_stock(site: Site, obj: dict[str, Any], delta: int) -> tuple[int, int]:
    """wc_update_product_stock: returns (before, after)."""
    before = obj["stock_quantity"] or 0
    obj["stock_quantity"] = before + delta
    _derive_stock_status(obj)
    save(site, obj)
    site.fire("product.updated", obj["id"])
    return before, obj["stock_quantity"]


def _common(site: Site, obj: dict[str, Any]) -> dict[str, Any]:
    managed = obj["manage_stock"]
    backorders_allowed = obj["backorders"] != "no"
    return {
        "sku": obj["sku"], "price": obj["price"], "regular_price": obj["regular_price"],
        "sale_price": obj["sale_price"], "date_on_sale_from": None, "date_on_sale_from_gmt": None,
        "date_on_sale_to": None, "date_on_sale_to_gmt": None,
        "on_sale": bool(obj["sale_price"]), "status": obj["status"],
        "purchasable": obj["price"] != "", "virtual": obj["virtual"],
        "downloadable": obj["downloadable"], "downloads": [], "download_limit": -1,
        "download_expiry": -1, "tax_status": obj["tax_status"], "tax_class": obj["tax_class"],
        "manage_stock": managed, "stock_quantity": obj["stock_quantity"],
        "stock_status": obj["stock_status"], "backorders": obj["backorders"],
        "backorders_allowed": backorders_allowed,
        "backordered": bool(managed and backorders_allowed and (obj["stock_quantity"] or 0) < 0),
        "low_stock_amount": None, "weight": "",
        "dimensions": {"length": "", "width": "", "height": ""},
        "shipping_class": "", "shipping_class_id": 0,
    }


def render(site: Site, obj: dict[str, Any], home: str) -> dict[str, Any]:
    """The /products schema (also used for variations found through /products?sku=)."""
    dates = site.clock.dates(obj, "date_created", "date_modified")
    out: dict[str, Any] = {
        "id": obj["id"], "name": obj["name"], "slug": obj["slug"],
        "permalink": f"{home.rstrip('/')}/product/{obj['slug']}/",
        **dates, "type": obj["type"], "featured": False, "catalog_visibility": "visible",
        "description": obj["description"], "short_description": obj["short_description"],
    }
    out.update(_common(site, obj))
    out.update({
        "total_sales": obj["total_sales"], "external_url": "", "button_text": "",
        "sold_individually": False, "shipping_required": not obj["virtual"],
        "shipping_taxable": obj["tax_status"] == "taxable", "reviews_allowed": True,
        "average_rating": "0.00", "rating_count": 0, "related_ids": [], "upsell_ids": [],
        "cross_sell_ids": [], "parent_id": obj["parent_id"], "purchase_note": "",
        "categories": categories.product_terms(site, obj), "tags": [], "images": [],
        "attributes": obj["attributes"],
        "default_attributes": [], "variations": obj["variations"], "grouped_products": [],
        "menu_order": 0, "meta_data": obj["meta_data"],
        "_links": site.links(home, f"products/{obj['id']}", "products"),
    })
    return out


def render_variation(site: Site, obj: dict[str, Any], home: str) -> dict[str, Any]:
    parent = site.db.get_post(obj["parent_id"], "product") or {}
    dates = site.clock.dates(obj, "date_created", "date_modified")
    out: dict[str, Any] = {"id": obj["id"], **dates, "description": obj["description"],
                           "permalink": f"{home.rstrip('/')}/product/{parent.get('slug', '')}/"}
    out.update(_common(site, obj))
    if not obj["manage_stock"] and parent.get("manage_stock"):
        out["manage_stock"] = "parent"  # the variation uses its parent's stock
    pid = obj["parent_id"]
    out.update({
        "image": None, "attributes": obj["attributes"], "menu_order": 0,
        "meta_data": obj["meta_data"], "parent_id": pid,
        "_links": site.links(home, f"products/{pid}/variations/{obj['id']}",
                             f"products/{pid}/variations", up=f"products/{pid}"),
    })
    return out


def unit_price(obj: dict[str, Any]):
    return dec(obj.get("price"))
