"""Writing order items from a REST request (CONTRACT.md 1.2 "Writing items")."""
from __future__ import annotations

import json
from typing import Any

from sandbox.store import products
from sandbox.store.errors import WooError
from sandbox.store.fmt import dec
from sandbox.store.site import Site

# the key whose null value deletes an item, per item list
IDENTIFYING = {"line_items": "product_id", "shipping_lines": "method_id",
               "fee_lines": "name", "coupon_lines": "code"}


def _find_product(site: Site, posted: dict[str, Any]) -> dict[str, Any]:
    if posted.get("sku"):
        product = products.by_sku(site, posted["sku"])
    elif posted.get("product_id") and not posted.get("variation_id"):
        product = products.get(site, int(posted["product_id"]))
    elif posted.get("variation_id"):
        product = products.get(site, int(posted["variation_id"]))
    else:
        raise WooError("woocommerce_rest_required_product_reference",
                       "Product ID or SKU is required.", 400)
    if product is None:
        raise WooError("order_item_product_invalid_product", "Invalid product", 400)
    return product


def _line_item(site: Site, posted: dict[str, Any], item: dict[str, Any] | None) -> dict[str, Any]:
    if item is None or any(k in posted for k in ("sku", "product_id", "variation_id")):
        product = _find_product(site, posted)
        is_var = product["type"] == "variation"
        parent = site.db.get_post(product["parent_id"], "product") if is_var else None
        item = {**(item or {}), "name": product["name"],
                "product_id": parent["id"] if parent else product["id"],
                "variation_id": product["id"] if is_var else 0, "tax_class": "",
                "sku": product["sku"] or "", "parent_name": parent["name"] if parent else None,
                "_price": str(products.unit_price(product)),
                "_taxable": product["tax_status"] == "taxable"}
        item.setdefault("meta_data", [])
    qty = int(posted.get("quantity", item.get("quantity", 1)))
    item["quantity"] = qty
    item["subtotal"] = str(dec(posted["subtotal"]) if "subtotal" in posted
                           else dec(item["_price"]) * qty)
    item["total"] = str(dec(posted["total"]) if "total" in posted else dec(item["subtotal"]))
    item.setdefault("subtotal_tax", "0")
    return item


def _shipping_line(posted: dict[str, Any], item: dict[str, Any] | None) -> dict[str, Any]:
    if item is None and not posted.get("method_id"):
        raise WooError("woocommerce_rest_invalid_shipping_item",
                       "Shipping method ID is required.", 400)
    item = item or {"meta_data": [], "instance_id": ""}
    item["method_id"] = posted.get("method_id", item.get("method_id"))
    item["method_title"] = posted.get("method_title", item.get("method_title", ""))
    item["instance_id"] = str(posted.get("instance_id", item.get("instance_id", "")))
    item["total"] = str(dec(posted.get("total", item.get("total"))))
    return item


def _fee_line(posted: dict[str, Any], item: dict[str, Any] | None) -> dict[str, Any]:
    if item is None and not posted.get("name"):
        raise WooError("woocommerce_rest_invalid_fee_item", "Fee name is required.", 400)
    item = item or {"meta_data": [], "amount": "", "tax_class": ""}
    item["name"] = posted.get("name", item.get("name"))
    item["tax_status"] = posted.get("tax_status", item.get("tax_status", "taxable"))
    item["tax_class"] = posted.get("tax_class", item.get("tax_class", ""))
    item["total"] = str(dec(posted.get("total", item.get("total"))))
    return item


def _coupon_line(site: Site, posted: dict[str, Any]) -> dict[str, Any]:
    if posted.get("id"):
        raise WooError("woocommerce_rest_coupon_item_id_readonly", "Coupon item ID is readonly.", 400)
    code = str(posted.get("code") or "").strip().lower()  # wc_format_coupon_code
    coupon = site.db.get_row("coupons", "code", code)
    if coupon is None:
        raise WooError("woocommerce_rest_invalid_coupon", f'Coupon "{code}" does not exist!', 400)
    info = [coupon["id"], code, coupon["discount_type"], float(dec(coupon["amount"]))]
    return {"id": site.db.next_id("order_items"), "code": code, "discount": "0",
            "discount_tax": "0", "_type": coupon["discount_type"], "_amount": coupon["amount"],
            "meta_data": [{"id": site.db.next_id("meta"), "key": "coupon_info",
                           "value": json.dumps(info)}]}


def apply_lines(site: Site, order: dict[str, Any], data: dict[str, Any]) -> bool:
    """Apply every *_lines list in the request; True if any was sent (totals must rerun)."""
    touched = False
    if "coupon_lines" in data:  # v3 reruns the coupon engine from the listed codes
        order["coupon_lines"] = [_coupon_line(site, c) for c in data["coupon_lines"] or []
                                 if c.get("code") is not None]
        touched = True
    for key in ("line_items", "shipping_lines", "fee_lines"):
        if key not in data:
            continue
        touched = True
        for posted in data[key] or []:
            _apply_one(site, order, key, posted)
    return touched


def _apply_one(site: Site, order: dict[str, Any], key: str, posted: dict[str, Any]) -> None:
    items = order[key]
    item = None
    if posted.get("id"):
        item = next((i for i in items if i["id"] == int(posted["id"])), None)
        if item is None:
            raise WooError("woocommerce_rest_invalid_item_id",
                           "Order item ID provided is not associated with order.", 400)
        ident = IDENTIFYING[key]
        if (ident in posted and posted[ident] is None) or posted.get("quantity") == 0:
            items.remove(item)
            return
    if key == "line_items":
        new = _line_item(site, posted, item)
    elif key == "shipping_lines":
        new = _shipping_line(posted, item)
    else:
        new = _fee_line(posted, item)
    if "meta_data" in posted:
        products.upsert_meta(site, new, posted["meta_data"])
    if item is None:
        new["id"] = site.db.next_id("order_items")
        new.setdefault("meta_data", [])
        items.append(new)
