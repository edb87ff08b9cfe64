"""Products by SKU (the Tryton product code) and their stock.

Found products are cached: what a sale line needs (unit, customer taxes)
changes rarely. With a ProductIds map (the ledger's, in the worker) the SKU ->
id part is shared by every process and survives restarts: a SKU the map
knows is read by id, and the map is the truth of the cache, so a SKU
forgotten there (`wooerp erp forget-products`) is read again by every
worker on its next call. A product whose code no longer matches is dropped.
Unknown SKUs are not cached, so a SKU mapped in the ERP later is picked up
on the next call.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable

from canonical.money import Money
from systems.erp.errors import ErpRejectedError
from systems.erp.port import ErpProduct, ProductIds
from systems.erp.tryton.rpc import TrytonRpc

_FIELDS = ["code", "name", "type", "default_uom", "sale_uom", "list_price_used",
           "account_category"]


@dataclass(frozen=True)
class ProductInfo:
    product: ErpProduct
    unit: int
    taxes: tuple[int, ...]  # the customer taxes of its accounting category


class Products:
    def __init__(self, rpc: TrytonRpc, currency: str, warehouse: int | None = None,
                 ids: ProductIds | None = None):
        self.rpc, self.currency = rpc, currency
        self._warehouse = warehouse
        self._ids = ids
        self._cache: dict[str, ProductInfo] = {}
        self._category_taxes: dict[int, tuple[int, ...]] = {}

    async def by_skus(self, skus: Iterable[str]) -> dict[str, ProductInfo]:
        wanted = set(skus)
        known: dict[str, int] = {}
        if self._ids is not None and wanted:
            known = await asyncio.to_thread(self._ids.ids_for, wanted)
            for sku in wanted & self._cache.keys():
                if known.get(sku) != self._cache[sku].product.id:
                    del self._cache[sku]  # forgotten or re-mapped by someone else
        # This call's answer is its own: a concurrent call that read the map
        # before this one remembered a SKU drops it from the cache, and must
        # not take it out of what this call found (the SKU would read as unmapped).
        found = {sku: self._cache[sku] for sku in wanted if sku in self._cache}
        by_id = {known[sku]: sku for sku in wanted - found.keys() if sku in known}
        if by_id:
            rows = await self.rpc.search_read(
                "product.product", [["id", "in", sorted(by_id)]], _FIELDS)
            for row in rows:
                if row["code"] == by_id[row["id"]]:
                    found[row["code"]] = self._cache[row["code"]] = await self._info(row)
        stale = [sku for sku in by_id.values() if sku not in found]
        if stale:  # deleted, deactivated or recoded since it was remembered
            await asyncio.to_thread(self._ids.forget, stale)
        missing = wanted - found.keys()
        if missing:
            rows = await self.rpc.search_read(
                "product.product", [["code", "in", sorted(missing)]], _FIELDS)
            for row in rows:
                found[row["code"]] = self._cache[row["code"]] = await self._info(row)
                if self._ids is not None:
                    await asyncio.to_thread(self._ids.remember, row["code"], row["id"])
        return found

    async def by_sku(self, sku: str) -> ProductInfo | None:
        return (await self.by_skus([sku])).get(sku)

    async def stock(self, skus: Iterable[str], forecast: bool = False) -> dict[str, Decimal]:
        infos = await self.by_skus(skus)
        goods = {i.product.id: sku for sku, i in infos.items() if i.product.kind == "goods"}
        if not goods:
            return {}
        field = "forecast_quantity" if forecast else "quantity"
        # Without context.locations Tryton answers 0.0 silently (RECIPE.md gotcha 8).
        rows = await self.rpc.read("product.product", list(goods), [field],
                                   context={"locations": [await self.warehouse()]})
        return {goods[row["id"]]: Decimal(str(row[field])) for row in rows}

    async def available(self, skus: Iterable[str] | None, limit: int = 20_000,
                        page: int = 1_000) -> dict[str, Decimal]:
        """Quantity the ERP can still promise per SKU: on hand minus what
        confirmed sales have reserved (Tryton's `forecast_quantity` over every
        planned move of the warehouse), goods only. `skus` None: every product
        with a code, at most `limit`. Read in pages, never one call per SKU."""
        domain: list = [["type", "=", "goods"], ["code", "!=", None]]
        wanted = None if skus is None else sorted(set(skus))
        context = {"locations": [await self.warehouse()]}
        out: dict[str, Decimal] = {}
        if wanted is not None:
            for start in range(0, len(wanted), page):
                rows = await self.rpc.search_read(
                    "product.product", [*domain, ["code", "in", wanted[start:start + page]]],
                    ["code", "forecast_quantity"], context=context)
                out.update({r["code"]: Decimal(str(r["forecast_quantity"])) for r in rows})
            return out
        offset = 0
        while len(out) < limit:
            rows = await self.rpc.execute(
                "product.product", "search_read", domain, offset, min(page, limit - len(out)),
                [["id", "ASC"]], ["code", "forecast_quantity"], context=context)
            out.update({r["code"]: Decimal(str(r["forecast_quantity"])) for r in rows})
            if len(rows) < page:
                break
            offset += len(rows)
        return out

    async def warehouse(self) -> int:
        if self._warehouse is None:
            found = await self.rpc.search("stock.location", [["type", "=", "warehouse"]],
                                          limit=1, order=[["id", "ASC"]])
            if not found:
                raise ErpRejectedError("The ERP has no warehouse")
            self._warehouse = found[0]
        return self._warehouse

    async def _info(self, row: dict) -> ProductInfo:
        price = row.get("list_price_used")
        product = ErpProduct(
            id=row["id"], sku=row["code"], name=row["name"], kind=row["type"],
            list_price=Money.of(price, self.currency) if price is not None else None)
        return ProductInfo(product=product, unit=row["sale_uom"] or row["default_uom"],
                           taxes=await self._taxes(row["account_category"]))

    async def _taxes(self, category: int | None) -> tuple[int, ...]:
        if not category:
            return ()
        if category not in self._category_taxes:
            row, = await self.rpc.read("product.category", [category], ["customer_taxes_used"])
            self._category_taxes[category] = tuple(row["customer_taxes_used"])
        return self._category_taxes[category]
