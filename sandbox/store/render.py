"""REST representations of orders, refunds and notes (CONTRACT.md 1.1-1.3, 3.3).

Stored amounts are full-precision decimal strings; the dp fields are rendered
with `dp` decimals, the raw ones (taxes[], coupon discount, fee amount) as
stored, and the line-item `price` as a JSON number.
"""
from __future__ import annotations

from typing import Any

from sandbox.store import orders as orders_mod, refunds as refunds_mod
from sandbox.store.fmt import dec, dp_str, php_number
from sandbox.store.site import Site

ORDER_MONEY = ("discount_total", "discount_tax", "shipping_total", "shipping_tax", "cart_tax",
               "total", "total_tax")
HIDDEN_ITEM_META = ("_reduced_stock", "_restock_refunded_items")


def _meta(item: dict[str, Any]) -> list[dict[str, Any]]:
    return [{**m, "display_key": m["key"], "display_value": m["value"]}
            for m in item.get("meta_data", [])]


def line_item(item: dict[str, Any], dp: int) -> dict[str, Any]:
    return {
        "id": item["id"], "name": item["name"], "product_id": item["product_id"],
        "variation_id": item["variation_id"], "quantity": item["quantity"],
        "tax_class": item.get("tax_class", ""),
        "subtotal": dp_str(item["subtotal"], dp), "subtotal_tax": dp_str(item["subtotal_tax"], dp),
        "total": dp_str(item["total"], dp), "total_tax": dp_str(item["total_tax"], dp),
        "taxes": item["taxes"], "meta_data": _meta(item), "sku": item.get("sku") or None,
        "price": php_number(dec(item["total"]), item["quantity"]),
        "image": {"id": "", "src": ""}, "parent_name": item.get("parent_name"),
    }


def tax_line(item: dict[str, Any], dp: int) -> dict[str, Any]:
    return {**item, "tax_total": dp_str(item["tax_total"], dp),
            "shipping_tax_total": dp_str(item["shipping_tax_total"], dp)}


def shipping_line(item: dict[str, Any], dp: int) -> dict[str, Any]:
    return {"id": item["id"], "method_title": item["method_title"], "method_id": item["method_id"],
            "instance_id": item.get("instance_id", ""), "total": dp_str(item["total"], dp),
            "total_tax": dp_str(item["total_tax"], dp), "taxes": item["taxes"],
            "meta_data": _meta(item)}


def fee_line(item: dict[str, Any], dp: int) -> dict[str, Any]:
    return {"id": item["id"], "name": item["name"], "tax_class": item.get("tax_class", ""),
            "tax_status": item["tax_status"], "amount": item.get("amount", ""),
            "total": dp_str(item["total"], dp), "total_tax": dp_str(item["total_tax"], dp),
            "taxes": item["taxes"], "meta_data": _meta(item)}


def coupon_line(item: dict[str, Any]) -> dict[str, Any]:
    return {"id": item["id"], "code": item["code"], "discount": item["discount"],
            "discount_tax": item["discount_tax"], "meta_data": item["meta_data"]}


def order(site: Site, o: dict[str, Any], home: str, dp: int | None = None) -> dict[str, Any]:
    dp = site.dp if dp is None else dp
    dates = site.clock.dates(o, "date_created", "date_modified", "date_completed", "date_paid")
    out: dict[str, Any] = {
        "id": o["id"], "parent_id": o["parent_id"], "status": o["status"],
        "currency": o["currency"], "version": o["version"],
        "prices_include_tax": o["prices_include_tax"],
        "date_created": dates["date_created"], "date_modified": dates["date_modified"],
        **{k: dp_str(o[k], dp) for k in ORDER_MONEY},
        "customer_id": o["customer_id"], "order_key": o["order_key"],
        "billing": o["billing"], "shipping": o["shipping"],
        "payment_method": o["payment_method"], "payment_method_title": o["payment_method_title"],
        "transaction_id": o["transaction_id"], "customer_ip_address": o["customer_ip_address"],
        "customer_user_agent": o["customer_user_agent"], "created_via": o["created_via"],
        "customer_note": o["customer_note"], "date_completed": dates["date_completed"],
        "date_paid": dates["date_paid"], "cart_hash": o["cart_hash"], "number": o["number"],
        "meta_data": o["meta_data"],
        "line_items": [line_item(i, dp) for i in o["line_items"]],
        "tax_lines": [tax_line(i, dp) for i in o["tax_lines"]],
        "shipping_lines": [shipping_line(i, dp) for i in o["shipping_lines"]],
        "fee_lines": [fee_line(i, dp) for i in o["fee_lines"]],
        "coupon_lines": [coupon_line(i) for i in o["coupon_lines"]],
        "refunds": [{"id": r["id"], "reason": r["reason"], "total": "-" + dp_str(r["amount"], dp)}
                    for r in refunds_mod.list_for(site, o["id"])],
        "payment_url": o["payment_url"],
        "is_editable": o["status"] in ("pending", "on-hold", "auto-draft"),
        "needs_payment": o["status"] in ("pending", "failed") and dec(o["total"]) > 0,
        "needs_processing": orders_mod.needs_processing(site, o),
        "date_created_gmt": o["date_created_gmt"], "date_modified_gmt": o["date_modified_gmt"],
        "date_completed_gmt": o["date_completed_gmt"], "date_paid_gmt": o["date_paid_gmt"],
        "currency_symbol": "$" if o["currency"] == "USD" else o["currency"],
    }
    extra = {}
    if o["customer_id"]:
        extra["customer"] = f"customers/{o['customer_id']}"
    if o["parent_id"]:
        extra["up"] = f"orders/{o['parent_id']}"
    out["_links"] = site.links(home, f"orders/{o['id']}", "orders", **extra)
    return out


def refund(site: Site, r: dict[str, Any], home: str, dp: int | None = None) -> dict[str, Any]:
    dp = site.dp if dp is None else dp
    oid = r["parent_id"]
    return {
        "id": r["id"], **site.clock.dates(r, "date_created"),
        "amount": dp_str(r["amount"], dp), "reason": r["reason"], "refunded_by": r["refunded_by"],
        "refunded_payment": r["refunded_payment"], "meta_data": r["meta_data"],
        "line_items": [line_item(i, dp) for i in r["line_items"]],
        "shipping_lines": [shipping_line(i, dp) for i in r["shipping_lines"]],
        "tax_lines": [tax_line(i, dp) for i in r["tax_lines"]],
        "fee_lines": [fee_line(i, dp) for i in r["fee_lines"]],
        "_links": site.links(home, f"orders/{oid}/refunds/{r['id']}", f"orders/{oid}/refunds",
                             up=f"orders/{oid}"),
    }


def note(site: Site, n: dict[str, Any], home: str) -> dict[str, Any]:
    oid = n["order_id"]
    return {"id": n["id"], "author": n["author"], **site.clock.dates(n, "date_created"),
            "note": n["note"], "customer_note": n["customer_note"],
            "_links": site.links(home, f"orders/{oid}/notes/{n['id']}", f"orders/{oid}/notes",
                                 up=f"orders/{oid}")}
