"""What the store may sell, and what to push to make it show that (pure).

The ERP owns stock (DESIGN.md): per SKU it can still promise `available`
units (on hand minus what confirmed sales reserved). Store orders the ERP
has not accepted yet already took units off the store's shelf (WooCommerce
decrements at checkout) but are not reserved in the ERP: they are `held`.
So the store may sell

    sellable = max(0, floor(available) - held)

and a SKU is in step when the store shows exactly that. Every other case
(a SKU on one side only, a product that does not manage its stock, two
store products with one SKU) is a `Problem`, reported, never pushed.
"""
from __future__ import annotations

import math
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_QUANTITY = 10**9  # bound on any stock figure either side reports

ProblemKind = Literal["not_in_store", "not_in_erp", "not_managed", "duplicate_sku",
                      "push_failed"]


class StoreItem(BaseModel):
    """A product or variation of the store, as far as stock goes."""

    model_config = ConfigDict(frozen=True)

    sku: str = Field(min_length=1, max_length=255)
    product_id: int = Field(ge=1)
    parent_id: int | None = None  # set for a variation
    manage_stock: bool
    stock_quantity: int | None = Field(None, ge=-MAX_QUANTITY, le=MAX_QUANTITY)


class StockPush(BaseModel):
    model_config = ConfigDict(frozen=True)

    sku: str
    product_id: int
    parent_id: int | None = None
    before: int | None
    quantity: int = Field(ge=0, le=MAX_QUANTITY)


class Problem(BaseModel):
    model_config = ConfigDict(frozen=True)

    sku: str
    kind: ProblemKind
    detail: str = ""


class Plan(BaseModel):
    """One comparison: what to push, and how the compared SKUs stood."""

    compared: int = 0  # SKUs both sides know and the store manages
    in_step: int = 0
    pushes: list[StockPush] = Field(default_factory=list)
    problems: list[Problem] = Field(default_factory=list)
    sellable: dict[str, int] = Field(default_factory=dict)  # of every compared SKU


def sellable(available: Decimal | int, held: int = 0) -> int:
    """Whole units the store may still sell; never below zero."""
    units = math.floor(Decimal(available))
    return max(0, min(MAX_QUANTITY, units - max(0, held)))


def plan(available: dict[str, Decimal | int], held: dict[str, int], store: list[StoreItem],
         skus: list[str] | None) -> Plan:
    """Compare the SKUs `skus` (None: every SKU either side knows)."""
    by_sku: dict[str, list[StoreItem]] = {}
    for item in store:
        by_sku.setdefault(item.sku, []).append(item)
    scope = sorted(set(skus) if skus is not None else set(available) | set(by_sku))
    out = Plan()
    for sku in scope:
        items = by_sku.get(sku, [])
        if not items:
            if sku in available:
                out.problems.append(Problem(sku=sku, kind="not_in_store"))
            continue
        if len(items) > 1:
            ids = ", ".join(str(i.product_id) for i in items)
            out.problems.append(Problem(sku=sku, kind="duplicate_sku",
                                        detail=f"store products {ids}"))
            continue
        item = items[0]
        if sku not in available:
            if item.manage_stock:  # a product the store stocks that the ERP does not know
                out.problems.append(Problem(sku=sku, kind="not_in_erp"))
            continue
        if not item.manage_stock:
            out.problems.append(Problem(sku=sku, kind="not_managed",
                                        detail="the store does not manage this product's stock"))
            continue
        target = sellable(available[sku], held.get(sku, 0))
        out.compared += 1
        out.sellable[sku] = target
        if item.stock_quantity == target:
            out.in_step += 1
        else:
            out.pushes.append(StockPush(sku=sku, product_id=item.product_id,
                                        parent_id=item.parent_id, before=item.stock_quantity,
                                        quantity=target))
    return out
