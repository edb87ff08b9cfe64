"""The demo catalog, shared by the sandbox store and the sandbox ERP.

Both sides are seeded from this one table so that SKUs, prices and stock
agree at the start, as they would after a real initial sync.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

CURRENCY = "USD"
# One sales tax, applied to every product on both sides.
TAX_NAME = "Sales Tax"
TAX_RATE = Decimal("0.10")


@dataclass(frozen=True)
class CatalogItem:
    sku: str
    name: str
    price: Decimal
    stock: int
    parent_sku: str | None = None  # set for variations of a variable product


CATALOG: tuple[CatalogItem, ...] = (
    CatalogItem("WOO-HOODIE", "Hoodie", Decimal("45.00"), 100),
    CatalogItem("WOO-TSHIRT", "T-Shirt", Decimal("18.00"), 200),
    CatalogItem("WOO-MUG", "Mug", Decimal("12.50"), 50),
    CatalogItem("WOO-POSTER", "Poster", Decimal("9.99"), 80),
    CatalogItem("WOO-CAP-RED", "Cap - Red", Decimal("20.00"), 30, parent_sku="WOO-CAP"),
    CatalogItem("WOO-CAP-BLUE", "Cap - Blue", Decimal("20.00"), 30, parent_sku="WOO-CAP"),
)
# A product that exists in the store but was never mapped in the ERP:
# the demo uses it to show an order parked in needs_attention.
STORE_ONLY = (CatalogItem("WOO-UNMAPPED", "Limited Edition Print", Decimal("30.00"), 10),)
