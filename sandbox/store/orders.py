"""Orders: create as a checkout would, status changes, stock, notes (CONTRACT.md 1, 4.1)."""
from __future__ import annotations

import secrets
import string
from typing import Any

from sandbox.store import order_items, products, totals
from sandbox.store.errors import WooError, invalid_id
from sandbox.store.fmt import dec
from sandbox.store.site import WC_VERSION, Site

STATUSES = ("pending", "processing", "on-hold", "completed", "cancelled", "refunded",
            "failed", "checkout-draft")
LABELS = {"pending": "Pending payment", "processing": "Processing", "on-hold": "On hold",
          "completed": "Completed", "cancelled": "Cancelled", "refunded": "Refunded",
          "failed": "Failed", "checkout-draft": "Draft", "auto-draft": "Draft", "trash": "Trash"}
REDUCE_ON = ("processing", "completed", "on-hold")
RESTORE_ON = ("cancelled", "pending")
PAYABLE = ("pending", "failed")  # valid_order_statuses_for_payment
# woocommerce_valid_order_statuses_for_payment_complete: payment_complete() moves
# only these; from any other status (completed, processing, refunded) it does nothing
PAYMENT_COMPLETE_FROM = ("on-hold", "pending", "failed", "cancelled")
ADDRESS = ("first_name", "last_name", "company", "address_1", "address_2", "city", "state",
           "postcode", "country")


def empty_address(with_email: bool) -> dict[str, Any]:
    out: dict[str, Any] = {k: "" for k in ADDRESS}
    if with_email:
        out["email"] = ""
    out["phone"] = ""
    return out


def get(site: Site, order_id: int, status: int = 404) -> dict[str, Any]:
    order = site.db.get_post(order_id, "order")
    if order is None:
        raise invalid_id("shop_order", status)
    return order


def save(site: Site, order: dict[str, Any]) -> None:
    order["date_modified_gmt"] = site.clock.now_gmt()
    site.db.save_post(order, "order")


def erase(site: Site, order_id: int) -> None:
    """A permanent delete: the order with its refunds and notes. No hook a webhook
    listens to fires (order.deleted hooks the trash only)."""
    for refund in site.db.query_posts("type='refund' AND parent_id=?", (order_id,), "id"):
        site.db.delete_post(refund["id"])
    site.db.execute("DELETE FROM notes WHERE order_id=?", (order_id,))
    site.db.delete_post(order_id)


def add_note(site: Site, order_id: int, note: str, customer_note: bool = False,
             by_user: bool = False) -> dict[str, Any]:
    row = {"id": site.db.next_id("comments"), "order_id": order_id,
           "author": "admin" if by_user else "WooCommerce",
           "date_created_gmt": site.clock.now_gmt(), "note": note,
           "customer_note": bool(customer_note), "added_by_user": by_user}
    site.db.save_row("notes", "id", row["id"], row, order_id=order_id)
    return row


def needs_payment(order: dict[str, Any]) -> bool:
    return order["status"] in PAYABLE and dec(order["total"]) > 0


def _apply_fields(site: Site, order: dict[str, Any], data: dict[str, Any]) -> None:
    for name in ("customer_note", "payment_method", "payment_method_title", "transaction_id"):
        if name in data:
            order[name] = data[name] or ""
    for name in ("billing", "shipping"):
        if isinstance(data.get(name), dict):
            order[name].update({k: v for k, v in data[name].items() if k in order[name]})
    if "customer_id" in data:
        cid = int(data["customer_id"] or 0)
        if cid and site.db.get_row("customers", "id", cid) is None:
            raise WooError("woocommerce_rest_invalid_customer_id", "Customer ID is invalid.", 400)
        order["customer_id"] = cid
    if "meta_data" in data:
        products.upsert_meta(site, order, data["meta_data"])


def _validate_status(data: dict[str, Any]) -> None:
    status = data.get("status")
    if status is not None and status not in STATUSES + ("auto-draft",):
        msg = f"status is not one of auto-draft, {', '.join(STATUSES)}."
        raise WooError("rest_invalid_param", "Invalid parameter(s): status",
                       data={"status": 400, "params": {"status": msg},
                             "details": {"status": {"code": "rest_not_in_enum", "message": msg,
                                                    "data": None}}})


def create(site: Site, data: dict[str, Any], home: str) -> dict[str, Any]:
    _validate_status(data)
    now = site.clock.now_gmt()
    oid = site.db.next_id("posts")
    key = "wc_order_" + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(13))
    order: dict[str, Any] = {
        "id": oid, "parent_id": 0, "number": str(oid), "order_key": key,
        "created_via": data.get("created_via") or "rest-api", "version": WC_VERSION,
        "status": "pending", "currency": data.get("currency") or site.currency,
        "prices_include_tax": False, "date_created_gmt": now, "date_modified_gmt": now,
        "date_paid_gmt": None, "date_completed_gmt": None, "customer_id": 0,
        "customer_ip_address": "", "customer_user_agent": "", "customer_note": "",
        "billing": empty_address(True), "shipping": empty_address(False),
        "payment_method": "", "payment_method_title": "", "transaction_id": "",
        "cart_hash": "", "meta_data": [], "line_items": [], "tax_lines": [],
        "shipping_lines": [], "fee_lines": [], "coupon_lines": [], "_stock_reduced": False,
        "payment_url": "",
    }
    order["payment_url"] = f"{home.rstrip('/')}/checkout/order-pay/{oid}/?pay_for_order=true&key={key}"
    _apply_fields(site, order, data)
    try:
        order_items.apply_lines(site, order, data)
    except WooError as err:
        if err.code.startswith(("woocommerce_rest_", "rest_")):
            raise  # a WC_REST_Exception: nothing is left behind
        _leave_draft(site, order, err)
    totals.calculate(site, order)
    site.db.save_post(order, "order")
    if data.get("status") and data["status"] != "pending":
        set_status(site, order, data["status"])
    if data.get("set_paid"):
        payment_complete(site, order)
    site.db.save_post(order, "order")
    if order["status"] not in ("checkout-draft", "auto-draft"):
        site.fire("order.created", oid)
    return order


def _leave_draft(site: Site, order: dict[str, Any], err: WooError) -> None:
    """A WC_Data_Exception during a v3 create leaves the half-made order behind
    as checkout-draft and names it in the error (CONTRACT.md section 5)."""
    order["status"] = "checkout-draft"
    totals.calculate(site, order)
    site.db.save_post(order, "order")
    data = err.data if isinstance(err.data, dict) else {"status": err.http_status}
    err.data = {**data, "new_draft_order_id": order["id"]}
    err.commit = True
    raise err


def update(site: Site, order: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    _validate_status(data)
    _apply_fields(site, order, data)
    if order_items.apply_lines(site, order, data) or "billing" in data or "shipping" in data:
        totals.calculate(site, order)
    save(site, order)
    if data.get("status"):
        set_status(site, order, data["status"], manual=bool(data.get("manual_update")))
    if data.get("set_paid") and needs_payment(order):
        payment_complete(site, order)
    save(site, order)
    site.fire("order.updated", order["id"])
    return order


def needs_processing(site: Site, order: dict[str, Any]) -> bool:
    """WC_Order::needs_processing(): a line whose product is not both virtual and
    downloadable needs someone to act; an order of downloads only does not."""
    for item in order["line_items"]:
        product = products.get(site, item["variation_id"] or item["product_id"])
        if product is not None and not (product["virtual"] and product["downloadable"]):
            return True
    return False


def paid_status(site: Site, order: dict[str, Any]) -> str:
    """woocommerce_payment_complete_order_status."""
    return "processing" if needs_processing(site, order) else "completed"


def payment_complete(site: Site, order: dict[str, Any]) -> None:
    """WC_Order::payment_complete(): from an unpaid status, date_paid and the paid
    status (processing, or completed when nothing needs processing), stock reduced.
    An order already completed, processing or refunded stays as it is."""
    if order["status"] not in PAYMENT_COMPLETE_FROM:
        return
    order["date_paid_gmt"] = order["date_paid_gmt"] or site.clock.now_gmt()
    set_status(site, order, paid_status(site, order))
    reduce_stock(site, order)


def _maybe_set_date_paid(site: Site, order: dict[str, Any]) -> None:
    """WC_Order::maybe_set_date_paid(): reaching the paid status (or completed
    past processing) records the payment, once."""
    if order["date_paid_gmt"]:
        return
    paid = paid_status(site, order)
    if order["status"] == paid or (paid == "processing" and order["status"] == "completed"):
        order["date_paid_gmt"] = site.clock.now_gmt()


def set_status(site: Site, order: dict[str, Any], new: str, manual: bool = False) -> None:
    old = order["status"]
    if new == old:
        return
    order["status"] = new
    prefix = "Order status changed by bulk edit:" if manual else "Order status changed from"
    add_note(site, order["id"], f"{prefix} {LABELS.get(old, old)} to {LABELS.get(new, new)}.")
    _maybe_set_date_paid(site, order)
    if new == "completed":
        order["date_completed_gmt"] = site.clock.now_gmt()
    site.db.save_post(order, "order")
    if new in REDUCE_ON:
        reduce_stock(site, order)
    elif new in RESTORE_ON:
        restore_stock(site, order)
    elif new == "refunded":
        from sandbox.store import refunds  # refunds imports orders

        refunds.refund_remainder(site, order)


def _stock_product(site: Site, item: dict[str, Any]) -> dict[str, Any] | None:
    product = products.get(site, item["variation_id"] or item["product_id"])
    return product if product and product["manage_stock"] is True else None


def reduce_stock(site: Site, order: dict[str, Any]) -> None:
    """wc_reduce_stock_levels: once per order, records _reduced_stock per item."""
    if order["_stock_reduced"]:
        return
    changes = []
    for item in order["line_items"]:
        product = _stock_product(site, item)
        qty = item["quantity"] - int(item.get("_reduced_stock") or 0)
        if product is None or qty <= 0:
            continue
        before, after = products.change_stock(site, product, -qty)
        item["_reduced_stock"] = int(item.get("_reduced_stock") or 0) + qty
        changes.append(f"{product['name']} ({product['sku']}) {before}&rarr;{after}")
    order["_stock_reduced"] = True
    site.db.save_post(order, "order")
    if changes:
        add_note(site, order["id"], "Stock levels reduced: " + ", ".join(changes))


def restore_stock(site: Site, order: dict[str, Any]) -> None:
    """wc_increase_stock_levels: only what was reduced before."""
    if not order["_stock_reduced"]:
        return
    changes = []
    for item in order["line_items"]:
        reduced = int(item.pop("_reduced_stock", 0) or 0)
        product = _stock_product(site, item)
        if product is None or reduced <= 0:
            continue
        before, after = products.change_stock(site, product, reduced)
        changes.append(f"{product['name']} ({product['sku']}) {before}&rarr;{after}")
    order["_stock_reduced"] = False
    site.db.save_post(order, "order")
    if changes:
        add_note(site, order["id"], "Stock levels increased: " + ", ".join(changes))
