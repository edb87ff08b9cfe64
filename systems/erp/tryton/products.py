"""Products by SKU (the Tryton product code) and their stock.

Found products are cached for the adapter's lifetime: what a sale line needs
(unit, customer taxes) changes rarely. Unknown SKUs are not cached, so a SKU
mapped in the ERP later is picked up on the next call.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable

from canonical.money import Money
from systems.erp.errors import ErpRejectedError
from systems.erp.port import ErpProduct
from systems.erp.tryton.rpc import TrytonRpc

_FIELDS = ["code", "name", "type", "default_uom", "sale_uom", "list_price_used",
           "account_category"]


@dataclass(frozen=True)
class ProductInfo:
    product: ErpProduct
    unit: int
    taxes: tuple[int, ...]  # the customer taxes of its accounting category


class Products:
    def __init__(self, rpc: TrytonRpc, currency: str, warehouse: int | None = None):
        self.rpc, self.currency = rpc, currency
        self._warehouse = warehouse
        self._cache: dict[str, ProductInfo] = {}
        self._category_taxes: dict[int, tuple[int, ...]] = {}

    async def by_skus(self, skus: Iterable[str]) -> dict[str, ProductInfo]:
        wanted = set(skus)
        missing = wanted - self._cache.keys()
        if missing:
            rows = await self.rpc.search_read(
                "product.product", [["code", "in", sorted(missing)]], _FIELDS)
            for row in rows:
                self._cache[row["code"]] = await self._info(row)
        return {sku: self._cache[sku] for sku in wanted if sku in self._cache}

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
