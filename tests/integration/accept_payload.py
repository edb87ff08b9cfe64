"""The `order` argument of `sale.sale.wooerp_accept`, built from a canonical Order.

The module's README.md documents this shape; it is the canonical order's
customer, addresses and lines with Money as bare Decimals (the sale's
currency is the order's). wooerp's Tryton adapter will send the same.
"""
from __future__ import annotations

from canonical.entities import Address, Order

ADDRESS_FIELDS = ("first_name", "last_name", "company", "address_1", "address_2", "city",
                  "state", "postcode", "country", "email", "phone")


def accept_payload(order: Order) -> dict:
    return {
        "number": order.number,
        "store": order.store,
        "currency": order.currency,
        "customer": order.customer.model_dump(
            include={"woo_id", "email", "first_name", "last_name", "phone"}),
        "billing": _address(order.billing),
        "shipping": _address(order.shipping) if order.shipping else None,
        "lines": [{"sku": l.sku, "name": l.name, "quantity": l.quantity,
                   "total": l.total.amount, "total_tax": l.total_tax.amount}
                  for l in order.lines],
        "shipping_lines": [{"method_title": s.method_title, "total": s.total.amount,
                            "total_tax": s.total_tax.amount} for s in order.shipping_lines],
        "fee_lines": [{"name": f.name, "total": f.total.amount,
                       "total_tax": f.total_tax.amount} for f in order.fee_lines],
    }


def _address(address: Address) -> dict:
    return {name: getattr(address, name) for name in ADDRESS_FIELDS}
