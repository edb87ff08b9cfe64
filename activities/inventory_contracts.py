"""Inputs and results of the inventory activities (workflows/inventory.py)."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from canonical.inventory import MAX_QUANTITY, Problem, StockPush, StoreItem

MAX_SKUS = 20_000  # SKUs one comparison reads, on either side


def inventory_workflow_id(store: str) -> str:
    """The store's one InventorySync (a business key: every entry point dedupes on it)."""
    return f"inventory:{store}"


class SkusInput(BaseModel):
    store: str
    skus: list[str] | None = Field(None, max_length=MAX_SKUS)  # None: every SKU


class Available(BaseModel):
    """ERP quantity available per SKU, whole units (floored), bounded."""

    units: dict[str, int] = Field(default_factory=dict)


class StoreStock(BaseModel):
    items: list[StoreItem] = Field(default_factory=list)
    truncated: bool = False  # the store has more products than one comparison reads
    calls: int = 0  # requests made to the store


class Holds(BaseModel):
    """Units of store orders the ERP has not accepted yet, per SKU."""

    units: dict[str, int] = Field(default_factory=dict)
    orders: int = 0
    unanswered: int = 0  # sagas that did not answer (counted as holding nothing)


class PushInput(BaseModel):
    store: str
    pushes: list[StockPush] = Field(max_length=MAX_SKUS)


class PushResult(BaseModel):
    updated: list[str] = Field(default_factory=list)  # SKUs the store took
    failed: list[Problem] = Field(default_factory=list)
    calls: int = 0  # batch and single calls made to the store


class Adjustment(BaseModel):
    sku: str
    before: int | None
    quantity: int = Field(ge=0, le=MAX_QUANTITY)
    changed_at: datetime  # the ERP change (or the comparison) it answers


class RecordInput(BaseModel):
    store: str
    check_key: str  # idempotency: the workflow run and comparison number
    kind: Literal["event", "full"]
    checked_at: datetime
    compared: int
    in_step: int
    unresolved: int
    adjustments: list[Adjustment] = Field(default_factory=list, max_length=MAX_SKUS)
