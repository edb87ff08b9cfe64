"""Listing wooerp sales for reconciliation: a page of sales with their lines,
shipments, invoices and credit notes in a fixed number of batched reads
(seven per page, whatever its size), never one call per sale.

Credit notes are the return sales whose `origin` is one of the page's sales
(systems/erp/tryton/refunds.py). Shipping and fee lines are the sale lines
of the adapter's SHIPPING and FEE products.
"""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Sequence

from canonical.erp import CreditNote, ErpSale, ErpSaleLine, Invoice, Shipment
from canonical.money import Money
from systems.erp.port import ErpSalesPage
from systems.erp.tryton.documents import SALE_FIELDS, Documents
from systems.erp.tryton.rpc import TrytonRpc

MAX_PAGE = 1000
_COMPONENTS = {"SHIPPING": "shipping", "FEE": "fees"}
_RETURN_FIELDS = ["wooerp_ref", "number", "state", "total_amount", "invoices",
                  "shipment_returns", "origin", "currency"]


def _utc(value: datetime | None) -> datetime | None:
    # Tryton keeps create_date naive, in UTC.
    return value.replace(tzinfo=timezone.utc) if value is not None else None


class SaleListing:
    def __init__(self, rpc: TrytonRpc, documents: Documents) -> None:
        self.rpc, self.documents = rpc, documents
        self._codes: dict[int, str | None] = {}

    async def page(self, *, prefix: str | None, refs: Sequence[str] | None,
                   created_from: datetime | None, created_to: datetime | None,
                   offset: int, limit: int) -> ErpSalesPage:
        if (prefix is None) == (refs is None):
            raise ValueError("give a reference prefix or a list of references")
        limit = max(1, min(limit, MAX_PAGE))
        if refs is not None:
            if not refs:
                return ErpSalesPage(sales=[], credit_notes=[], next_offset=None)
            domain: list[Any] = [["wooerp_ref", "in", list(refs)]]
        else:
            domain = [["wooerp_ref", "like", f"{prefix}%"]]
        if created_from is not None:
            domain.append(["create_date", ">=", created_from.astimezone(timezone.utc)
                           .replace(tzinfo=None)])
        if created_to is not None:
            domain.append(["create_date", "<", created_to.astimezone(timezone.utc)
                           .replace(tzinfo=None)])
        rows = await self.rpc.execute("sale.sale", "search_read", domain, offset, limit + 1,
                                      [["id", "ASC"]], [*SALE_FIELDS, "create_date"])
        more = len(rows) > limit
        rows = rows[:limit]
        sales = await self._sales(rows)
        notes = await self._credit_notes({s.erp_id: s for s in sales})
        return ErpSalesPage(sales=sales, credit_notes=notes,
                            next_offset=offset + limit if more else None)

    async def _sales(self, rows: list[dict]) -> list[ErpSale]:
        if not rows:
            return []
        ids = [r["id"] for r in rows]
        currencies = {r["currency"]: await self.documents.currency_code(r["currency"])
                      for r in rows}
        invoices = await self._invoices([i for r in rows for i in r["invoices"]], currencies,
                                        {i: r["currency"] for r in rows for i in r["invoices"]})
        shipments = await self._shipments("stock.shipment.out",
                                          [i for r in rows for i in r["shipments"]])
        returns = await self._shipments("stock.shipment.out.return",
                                        [i for r in rows for i in r["shipment_returns"]])
        lines = await self._lines(ids, {r["id"]: currencies[r["currency"]] for r in rows})
        out = []
        for r in rows:
            cur = currencies[r["currency"]]
            out.append(ErpSale(
                erp_id=r["id"], number=r["number"], external_ref=r["wooerp_ref"],
                state=r["state"], shipment_state=r["shipment_state"],
                invoice_state=r["invoice_state"],
                shipments=[shipments[i] for i in r["shipments"]],
                return_shipments=[returns[i] for i in r["shipment_returns"]],
                invoices=[invoices[i] for i in r["invoices"]],
                untaxed=_money(r["untaxed_amount"], cur), tax=_money(r["tax_amount"], cur),
                total=_money(r["total_amount"], cur), lines=lines.get(r["id"], []),
                created_at=_utc(r.get("create_date"))))
        return out

    async def _lines(self, sale_ids: list[int], currency: dict[int, str]
                     ) -> dict[int, list[ErpSaleLine]]:
        rows = await self.rpc.search_read(
            "sale.line", [["sale", "in", sale_ids], ["type", "=", "line"]],
            ["sale", "product", "quantity", "amount"], order=[["id", "ASC"]])
        await self._product_codes({r["product"] for r in rows if r["product"]})
        out: dict[int, list[ErpSaleLine]] = {}
        for r in rows:
            sku = self._codes.get(r["product"]) if r["product"] else None
            out.setdefault(r["sale"], []).append(ErpSaleLine(
                component=_COMPONENTS.get(sku or "", "items"), sku=sku,  # type: ignore[arg-type]
                quantity=Decimal(str(r["quantity"])),
                amount=_money(r["amount"], currency[r["sale"]])))
        return out

    async def _product_codes(self, ids: set[int]) -> None:
        missing = sorted(ids - self._codes.keys())
        if missing:
            for row in await self.rpc.read("product.product", missing, ["code"]):
                self._codes[row["id"]] = row["code"]

    async def _invoices(self, ids: list[int], codes: dict[int, str],
                        currency_of: dict[int, int]) -> dict[int, Invoice]:
        if not ids:
            return {}
        rows = await self.rpc.read("account.invoice", ids, ["number", "state", "total_amount",
                                                            "invoice_date"])
        return {r["id"]: Invoice(
            erp_id=r["id"], number=r["number"], state=r["state"],
            kind="credit_note" if (r["total_amount"] or 0) < 0 else "invoice",
            total=_money(r["total_amount"], codes[currency_of[r["id"]]])) for r in rows}

    async def _shipments(self, model: str, ids: list[int]) -> dict[int, Shipment]:
        if not ids:
            return {}
        rows = await self.rpc.read(model, ids, ["number", "state"])
        return {r["id"]: Shipment(erp_id=r["id"], number=r["number"], state=r["state"])
                for r in rows}

    async def _credit_notes(self, sales: dict[int, ErpSale]) -> list[CreditNote]:
        if not sales:
            return []
        rows = await self.rpc.search_read(
            "sale.sale", [["origin", "in", [f"sale.sale,{i}" for i in sales]]], _RETURN_FIELDS,
            order=[["id", "ASC"]])
        if not rows:
            return []
        codes = {r["currency"]: await self.documents.currency_code(r["currency"]) for r in rows}
        invoices = await self._invoices([i for r in rows for i in r["invoices"]], codes,
                                        {i: r["currency"] for r in rows for i in r["invoices"]})
        returns = await self._shipments("stock.shipment.out.return",
                                        [i for r in rows for i in r["shipment_returns"]])
        notes = []
        for r in rows:
            original = sales[int(str(r["origin"]).rsplit(",", 1)[1])]
            invoice = invoices[r["invoices"][0]] if r["invoices"] else None
            shipments = [returns[i] for i in r["shipment_returns"]]
            notes.append(CreditNote(
                erp_id=r["id"], refund_ref=r["wooerp_ref"] or f"sale:{r['id']}",
                sale_external_ref=original.external_ref,
                number=invoice.number if invoice and invoice.number else (r["number"] or
                                                                          str(r["id"])),
                state=invoice.state if invoice else r["state"], invoice=invoice,
                return_shipments=shipments,
                restocked=bool(shipments) and all(s.state == "done" for s in shipments),
                total=_money(r["total_amount"], codes[r["currency"]])))
        return notes


def _money(value: Decimal | None, currency: str) -> Money:
    return Money.of(value if value is not None else Decimal(0), currency)
