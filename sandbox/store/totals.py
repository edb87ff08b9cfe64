"""calculate_totals(): taxes, coupons and order totals, as WooCommerce computes them.

One standard tax rate (the catalog's), applied per line and rounded per line
to cents (WooCommerce's default "round at line level"). Shipping is taxed at
the same rate, fees when their tax_status is `taxable`. The stored raw tax
strings keep trailing zeros trimmed, as WooCommerce stores them ("0.9").
All of it re-adds exactly: total = items + fees + shipping + total_tax.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from sandbox.store.fmt import dec, raw_str, round_cents
from sandbox.store.site import Site

CENT = Decimal("0.01")


def _tax(site: Site, amount: Decimal, taxable: bool = True) -> Decimal:
    return round_cents(amount * site.tax.rate) if taxable else Decimal(0)


def _allocate_fixed(amount: Decimal, bases: list[Decimal]) -> list[Decimal]:
    """Split a fixed cart discount over lines by their share, in whole cents."""
    total = sum(bases, Decimal(0))
    if total <= 0:
        return [Decimal(0)] * len(bases)
    amount = min(amount, total)
    shares = [(amount * b / total).quantize(CENT, rounding="ROUND_FLOOR") for b in bases]
    left = amount - sum(shares, Decimal(0))
    for i, base in enumerate(bases):
        if left <= 0:
            break
        if shares[i] + CENT <= base:
            shares[i] += CENT
            left -= CENT
    return shares


def _coupon_discounts(coupon: dict[str, Any], lines: list[dict[str, Any]],
                      bases: list[Decimal]) -> list[Decimal]:
    amount = dec(coupon["_amount"])
    kind = coupon["_type"]
    if kind == "percent":
        out = [round_cents(b * amount / 100) for b in bases]
    elif kind == "fixed_product":
        out = [amount * int(line["quantity"]) for line in lines]
    else:
        out = _allocate_fixed(amount, bases)
    return [min(d, b) for d, b in zip(out, bases)]


def _apply_coupons(site: Site, order: dict[str, Any]) -> None:
    lines = order["line_items"]
    bases = [dec(line["subtotal"]) for line in lines]
    for coupon in order["coupon_lines"]:
        discounts = _coupon_discounts(coupon, lines, bases)
        disc_tax = Decimal(0)
        for i, d in enumerate(discounts):
            taxable = lines[i].get("_taxable", True)
            disc_tax += _tax(site, bases[i], taxable) - _tax(site, bases[i] - d, taxable)
            bases[i] -= d
        coupon["discount"] = raw_str(sum(discounts, Decimal(0)))
        coupon["discount_tax"] = raw_str(disc_tax)
    for line, base in zip(lines, bases):
        line["total"] = str(base)


def _tax_item(site: Site, item: dict[str, Any], taxable: bool, with_subtotal: bool) -> Decimal:
    tax = _tax(site, dec(item["total"]), taxable)
    item["total_tax"] = str(tax)
    if not taxable:
        item["taxes"] = []
        return tax
    entry = {"id": site.tax.id, "total": raw_str(tax), "subtotal": ""}
    if with_subtotal:
        sub_tax = _tax(site, dec(item["subtotal"]), taxable)
        item["subtotal_tax"] = str(sub_tax)
        entry["subtotal"] = raw_str(sub_tax)
    item["taxes"] = [entry]
    return tax


def calculate(site: Site, order: dict[str, Any]) -> None:
    if order["coupon_lines"]:
        _apply_coupons(site, order)
    items_total = cart_tax = discount = discount_tax = Decimal(0)
    for line in order["line_items"]:
        tax = _tax_item(site, line, line.get("_taxable", True), with_subtotal=True)
        items_total += dec(line["total"])
        cart_tax += tax
        discount += dec(line["subtotal"]) - dec(line["total"])
        discount_tax += dec(line["subtotal_tax"]) - tax
    fees_total = Decimal(0)
    for fee in order["fee_lines"]:
        cart_tax += _tax_item(site, fee, fee["tax_status"] == "taxable", with_subtotal=False)
        fees_total += dec(fee["total"])
    shipping_total = shipping_tax = Decimal(0)
    for ship in order["shipping_lines"]:
        shipping_tax += _tax_item(site, ship, site.tax.shipping, with_subtotal=False)
        shipping_total += dec(ship["total"])
    total_tax = cart_tax + shipping_tax
    order.update({
        "discount_total": str(discount), "discount_tax": str(discount_tax),
        "shipping_total": str(shipping_total), "shipping_tax": str(shipping_tax),
        "cart_tax": str(cart_tax), "total_tax": str(total_tax),
        "total": str(items_total + fees_total + shipping_total + total_tax),
    })
    _tax_lines(site, order, cart_tax, shipping_tax)


def _tax_lines(site: Site, order: dict[str, Any], cart_tax: Decimal, shipping_tax: Decimal) -> None:
    has_tax = any(i["taxes"] for k in ("line_items", "fee_lines", "shipping_lines")
                  for i in order[k])
    if not has_tax:
        order["tax_lines"] = []
        return
    existing = order["tax_lines"][0]["id"] if order["tax_lines"] else site.db.next_id("order_items")
    order["tax_lines"] = [{
        "id": existing, "rate_code": site.tax.code, "rate_id": site.tax.id,
        "label": site.tax.label, "compound": False, "tax_total": str(cart_tax),
        "shipping_tax_total": str(shipping_tax),
        "rate_percent": float(site.tax.rate * 100), "meta_data": [],
    }]
