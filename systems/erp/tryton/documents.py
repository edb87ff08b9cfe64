"""Reading Tryton sales with their shipments and invoices into port models,
and moving documents through their workflow buttons safely under retries."""
from __future__ import annotations

from decimal import Decimal
from typing import Iterable

from canonical.money import Money
from systems.erp.errors import ErpRejectedError
from canonical.erp import ErpSale, Invoice, Shipment
from systems.erp.tryton.rpc import TrytonRpc

SALE_FIELDS = ["number", "wooerp_ref", "state", "shipment_state", "invoice_state",
               "shipments", "shipment_returns", "invoices", "untaxed_amount", "tax_amount",
               "total_amount", "currency"]


class Documents:
    def __init__(self, rpc: TrytonRpc):
        self.rpc = rpc
        self._currencies: dict[int, str] = {}
        self._currency_ids: dict[str, int] = {}

    async def find_sale(self, external_ref: str) -> int | None:
        found = await self.rpc.search("sale.sale", [["wooerp_ref", "=", external_ref]], limit=1)
        return found[0] if found else None

    async def sale_state(self, sale_id: int) -> str:
        row, = await self.rpc.read("sale.sale", [sale_id], ["state"])
        return row["state"]

    async def read_sale(self, sale_id: int) -> ErpSale:
        row, = await self.rpc.read("sale.sale", [sale_id], SALE_FIELDS)
        currency = await self.currency_code(row["currency"])
        return ErpSale(
            erp_id=row["id"], number=row["number"], external_ref=row["wooerp_ref"],
            state=row["state"], shipment_state=row["shipment_state"],
            invoice_state=row["invoice_state"],
            shipments=await self._shipments("stock.shipment.out", row["shipments"]),
            return_shipments=await self._shipments(
                "stock.shipment.out.return", row["shipment_returns"]),
            invoices=await self.invoices(row["invoices"], currency),
            untaxed=_money(row["untaxed_amount"], currency),
            tax=_money(row["tax_amount"], currency),
            total=_money(row["total_amount"], currency))

    async def invoices(self, ids: list[int], currency: str) -> list[Invoice]:
        if not ids:
            return []
        rows = await self.rpc.read("account.invoice", ids, ["number", "state", "total_amount"])
        return [Invoice(
            erp_id=r["id"], number=r["number"], state=r["state"],
            kind="credit_note" if (r["total_amount"] or 0) < 0 else "invoice",
            total=_money(r["total_amount"], currency)) for r in rows]

    async def _shipments(self, model: str, ids: list[int]) -> list[Shipment]:
        if not ids:
            return []
        rows = await self.rpc.read(model, ids, ["number", "state"])
        return [Shipment(erp_id=r["id"], number=r["number"], state=r["state"]) for r in rows]

    async def currency_code(self, currency_id: int) -> str:
        if currency_id not in self._currencies:
            row, = await self.rpc.read("currency.currency", [currency_id], ["code"])
            self._currencies[currency_id] = row["code"]
        return self._currencies[currency_id]

    async def currency_id(self, code: str) -> int:
        if code not in self._currency_ids:
            found = await self.rpc.search("currency.currency", [["code", "=", code]], limit=1)
            if not found:
                raise ErpRejectedError(f"The ERP has no currency {code}")
            self._currency_ids[code] = found[0]
        return self._currency_ids[code]

    async def advance(self, model: str, record_id: int, button: str,
                      from_states: Iterable[str]) -> bool:
        """Press `button` if the record is in one of `from_states`.

        Returns whether it was pressed. Tryton refuses a button in the wrong
        state, so if a concurrent caller moved the record first we read the
        state again and only re-raise when it is still where we found it.
        """
        from_states = set(from_states)
        state = await self._state(model, record_id)
        if state not in from_states:
            return False
        try:
            await self.rpc.button(model, button, [record_id])
        except ErpRejectedError:
            if await self._state(model, record_id) == state:
                raise
            return False
        return True

    async def _state(self, model: str, record_id: int) -> str:
        row, = await self.rpc.read(model, [record_id], ["state"])
        return row["state"]


def _money(value: Decimal | None, currency: str) -> Money:
    return Money.of(value if value is not None else Decimal(0), currency)
