"""One-call acceptance: `sale.sale.wooerp_accept` of the wooerp_link module
finds or creates the party, creates, quotes, confirms and processes the sale
in ONE ERP transaction, idempotent by the wooerp reference (the module's
README documents the call). A Tryton without the module answers HTTP 403,
and the adapter falls back to the multi-call path.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from canonical.entities import Address, Order
from canonical.erp import ErpSale, Invoice, Shipment
from canonical.money import Money
from systems.erp.errors import ErpRejectedError, ErpUnknownSku

METHOD = "wooerp_accept"
ADDRESS_FIELDS = ("first_name", "last_name", "company", "address_1", "address_2", "city",
                  "state", "postcode", "country", "email", "phone")
UNKNOWN_SKU = "wooerp:unknown_sku:"


def accept_payload(order: Order) -> dict:
    """The call's `order`: the canonical order's customer, addresses and
    lines, Money as bare Decimals (the sale's currency is the order's)."""
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


def sale_from_result(result: dict[str, Any]) -> ErpSale:
    """The call's answer is the whole sale: no read afterwards."""
    currency = result["currency"]

    def money(value: Any) -> Money:
        return Money.of(Decimal(str(value if value is not None else 0)), currency)

    def shipments(rows: list[dict]) -> list[Shipment]:
        return [Shipment(erp_id=r["id"], number=r.get("number"), state=r["state"]) for r in rows]

    return ErpSale(
        erp_id=result["id"], number=result.get("number"), external_ref=result["external_ref"],
        state=result["state"], shipment_state=result.get("shipment_state", "none"),
        invoice_state=result.get("invoice_state", "none"),
        shipments=shipments(result.get("shipments", [])),
        return_shipments=shipments(result.get("return_shipments", [])),
        invoices=[Invoice(erp_id=i["id"], number=i.get("number"), state=i["state"],
                          kind=i.get("kind", "invoice"), total=money(i.get("total_amount")))
                  for i in result.get("invoices", [])],
        untaxed=money(result.get("untaxed_amount")), tax=money(result.get("tax_amount")),
        total=money(result.get("total_amount")))


def classified(exc: ErpRejectedError) -> ErpRejectedError:
    """The module names its refusals in the description (`wooerp:<code>`)."""
    if exc.description.startswith(UNKNOWN_SKU):
        return ErpUnknownSku(exc.description.removeprefix(UNKNOWN_SKU))
    return exc


def _address(address: Address) -> dict:
    return {name: getattr(address, name) for name in ADDRESS_FIELDS}
