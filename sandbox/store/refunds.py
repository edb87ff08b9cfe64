"""Refunds: wc_create_refund, restock and the full-refund status (CONTRACT.md 3)."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from sandbox.store import orders, products
from sandbox.store.errors import WooError
from sandbox.store.fmt import dec, raw_str
from sandbox.store.site import Site

# The emulated payment gateways: id -> title. Which of them cannot refund by
# themselves is the site's `manual_gateways` (bacs, cheque, cod by default).
GATEWAYS = {"bacs": "Direct bank transfer", "cheque": "Check payments",
            "cod": "Cash on delivery", "sandbox_card": "Sandbox card",
            "stripe": "Credit Card (Stripe)"}
ITEM_LISTS = {"line_items": "line_items", "shipping_lines": "shipping_lines",
              "fee_lines": "fee_lines"}


def _fail(message: str) -> WooError:
    # the refund controller passes a bare int as data: WordPress answers HTTP 500
    return WooError("woocommerce_rest_cannot_create_order_refund", message, data=500)


def list_for(site: Site, order_id: int) -> list[dict[str, Any]]:
    return site.db.query_posts("type='refund' AND parent_id=?", (order_id,),
                               "created_gmt DESC, id DESC")


def refunded_total(site: Site, order_id: int) -> Decimal:
    return sum((dec(r["amount"]) for r in list_for(site, order_id)), Decimal(0))


def remaining(site: Site, order: dict[str, Any]) -> Decimal:
    return dec(order["total"]) - refunded_total(site, order["id"])


def _posted_lines(data: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """RestApiParameterUtil: a map by item id, qty and {rate_id: amount} taxes."""
    out = {}
    for line in data.get("line_items") or []:
        taxes = {int(t["id"]): dec(t.get("refund_total")) for t in line.get("refund_tax") or []}
        out[int(line["id"])] = {"qty": int(line.get("quantity") or 0),
                                "refund_total": line.get("refund_total"), "refund_tax": taxes}
    return out


def _amount(data: dict[str, Any], lines: dict[int, dict[str, Any]]) -> Decimal:
    if data.get("amount") not in (None, ""):
        return dec(data["amount"])
    if lines and all(isinstance(v["refund_total"], (int, float, str)) and v["refund_total"] != ""
                     for v in lines.values()):
        return sum((dec(v["refund_total"]) + sum(v["refund_tax"].values(), Decimal(0))
                    for v in lines.values()), Decimal(0))
    return Decimal(0)


def _refund_item(site: Site, item: dict[str, Any], posted: dict[str, Any]) -> dict[str, Any]:
    total = dec(posted["refund_total"])
    tax = sum(posted["refund_tax"].values(), Decimal(0))
    out = {k: v for k, v in item.items() if not k.startswith("_") and k != "id"}
    out.update({
        "id": site.db.next_id("order_items"), "subtotal": str(-total), "total": str(-total),
        "total_tax": str(-tax),
        "taxes": [{"id": rid, "total": raw_str(-t), "subtotal": raw_str(-t)}
                  for rid, t in posted["refund_tax"].items()],
        "meta_data": [{"id": site.db.next_id("meta"), "key": "_refunded_item_id",
                       "value": str(item["id"])}],
    })
    if "quantity" in item:
        out["quantity"] = -posted["qty"]
        out["subtotal_tax"] = str(-tax)
    return out


def _tax_lines(site: Site, order: dict[str, Any], refund: dict[str, Any]) -> list[dict[str, Any]]:
    """update_taxes() on the refund: negative tax lines from its items' taxes."""
    cart = sum((dec(i["total_tax"]) for k in ("line_items", "fee_lines") for i in refund[k]), Decimal(0))
    shipping = sum((dec(i["total_tax"]) for i in refund["shipping_lines"]), Decimal(0))
    if not (cart or shipping) or not order["tax_lines"]:
        return []
    template = order["tax_lines"][0]
    return [{**template, "id": site.db.next_id("order_items"), "tax_total": str(cart),
             "shipping_tax_total": str(shipping)}]


def _gateway_refund(site: Site, order: dict[str, Any]) -> None:
    """wc_refund_payment: the order's gateway must exist and support('refunds')."""
    method = order["payment_method"]
    if method not in GATEWAYS and method not in site.manual_gateways:
        raise _fail("The payment gateway for this order does not exist.")
    if method in site.manual_gateways:
        raise _fail("The payment gateway for this order does not support automatic refunds.")


def create(site: Site, order: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    lines = _posted_lines(data)
    amount = _amount(data, lines)
    if amount < 0:
        raise WooError("woocommerce_rest_invalid_order_refund",
                       "Refund amount must be greater than zero.", data=400)
    if amount > remaining(site, order):
        raise _fail("Invalid refund amount.")
    api_refund = data.get("api_refund", True) is not False
    api_restock = data.get("api_restock", True) is not False
    now = site.clock.now_gmt()
    refund: dict[str, Any] = {
        "id": site.db.next_id("posts"), "parent_id": order["id"], "status": "completed",
        "date_created_gmt": now, "date_modified_gmt": now, "amount": str(amount),
        "reason": data.get("reason") or "", "refunded_by": 1, "refunded_payment": False,
        "meta_data": [], "line_items": [], "shipping_lines": [], "fee_lines": [], "tax_lines": [],
    }
    for key in ITEM_LISTS:
        for item in order[key]:
            posted = lines.get(item["id"])
            if posted and (posted["qty"] or dec(posted["refund_total"]) or posted["refund_tax"]):
                refund[key].append(_refund_item(site, item, posted))
    refund["tax_lines"] = _tax_lines(site, order, refund)
    if api_refund:
        _gateway_refund(site, order)  # raises before anything is saved: the refund is "deleted"
        refund["refunded_payment"] = True
    if data.get("meta_data"):
        products.upsert_meta(site, refund, data["meta_data"])
    site.db.save_post(refund, "refund")
    if api_restock:
        _restock(site, order, lines)
    _after_refund(site, order)
    return refund


def _restock(site: Site, order: dict[str, Any], lines: dict[int, dict[str, Any]]) -> None:
    """wc_restock_refunded_items: only managed stock that was reduced before."""
    for item in order["line_items"]:
        qty = lines.get(item["id"], {}).get("qty")
        reduced = int(item.get("_reduced_stock") or 0)
        product = products.get(site, item["variation_id"] or item["product_id"])
        if not qty or not reduced or not product or product["manage_stock"] is not True:
            continue
        before, after = products.change_stock(site, product, qty)
        item["_reduced_stock"] = reduced - qty
        item["_restock_refunded_items"] = int(item.get("_restock_refunded_items") or 0) + qty
        orders.add_note(site, order["id"], f"Item #{product['id']} stock increased from {before} to {after}.")


def _refunded_qty(site: Site, order_id: int) -> int:
    return sum(-int(i.get("quantity") or 0) for r in list_for(site, order_id) for i in r["line_items"])


def _after_refund(site: Site, order: dict[str, Any]) -> None:
    left = remaining(site, order)
    free_items = any(dec(i["total"]) == 0 for i in order["line_items"])
    items_left = sum(i["quantity"] for i in order["line_items"]) - _refunded_qty(site, order["id"])
    orders.save(site, order)  # date_modified moves: modified_after sync sees the refund
    partial = left > 0 or (free_items and items_left > 0)
    if not partial:  # a partial refund leaves the status as it is
        orders.set_status(site, order, "refunded")
        orders.save(site, order)
    site.fire("order.updated", order["id"])


def refund_remainder(site: Site, order: dict[str, Any]) -> None:
    """wc_order_fully_refunded: a status change to `refunded` refunds what is left."""
    left = remaining(site, order)
    if left <= 0:
        return
    now = site.clock.now_gmt()
    refund = {"id": site.db.next_id("posts"), "parent_id": order["id"], "status": "completed",
              "date_created_gmt": now, "date_modified_gmt": now, "amount": str(left),
              "reason": "Order fully refunded.", "refunded_by": 1, "refunded_payment": False,
              "meta_data": [], "line_items": [], "shipping_lines": [], "fee_lines": [],
              "tax_lines": []}
    site.db.save_post(refund, "refund")
    orders.add_note(site, order["id"], "Order status set to refunded. To return funds to the "
                    "customer you will need to issue a refund through your payment gateway.")
    site.fire("order.updated", order["id"])  # wc_create_refund's woocommerce_order_refunded
