"""Inventory activities: what the ERP can promise, what the store shows, the
push, and the record of it. Each reads or writes one system, on its queue.

The push goes through WooCommerce's batch endpoints (≤ 100 items a call,
variations under their parent). A batch answers 200 with an error per item
it refused (CONTRACT.md 4.2); each refused item is tried once more on its
own (a lock or a plugin's hiccup passes), and what still fails is reported
with the store's code, never raised: one bad product must not hold up the
other SKUs' stock.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from temporalio import activity

from activities import refs
from activities.errors import classified
from activities.heartbeat import heartbeating
from activities.inventory_contracts import (MAX_SKUS, Available, PushInput, PushResult,
                                            RecordInput, SkusInput, StoreStock,
                                            inventory_workflow_id)
from activities.woocommerce import store_client
from canonical.events import InventoryAdjusted
from canonical.inventory import MAX_QUANTITY, Problem, StoreItem
from systems.erp.port import ErpPort
from systems.ledger.inventory import CheckRecord
from systems.ledger.store import Ledger
from systems.woocommerce.client import StockUpdate, WooClient
from systems.woocommerce.errors import WooClientError


SKU_CHUNK = 50  # SKUs per `products?sku=` lookup: the query string stays short


class InventoryErpActivities:
    def __init__(self, erp: ErpPort) -> None:
        self._erp = erp

    @activity.defn(name=refs.INVENTORY_ERP_AVAILABLE.name)
    @classified
    @heartbeating
    async def erp_available(self, inp: SkusInput) -> Available:
        levels = await self._erp.available_stock(inp.skus)
        units = {}
        for sku, qty in levels.items():
            if qty.is_finite():  # bounded: a corrupt figure must not become a push
                units[sku] = max(-MAX_QUANTITY, min(MAX_QUANTITY, math.floor(qty)))
        return Available(units=units)


def store_item(raw: Mapping[str, Any]) -> StoreItem | None:
    """The stock facts of a product or variation as the store renders it;
    None for one without a SKU (nothing to match it with)."""
    sku = raw.get("sku")
    if not isinstance(sku, str) or not sku or len(sku) > 255:
        return None
    qty = raw.get("stock_quantity")
    if isinstance(qty, float):  # non-integer stock enabled: whole units only
        qty = math.floor(qty)
    if not isinstance(qty, int) or abs(qty) > MAX_QUANTITY:
        qty = None
    parent = raw.get("parent_id") or None
    # "parent": the variation sells its parent's stock, it has none of its own
    return StoreItem(sku=sku, product_id=int(raw["id"]), parent_id=int(parent) if parent else None,
                     manage_stock=raw.get("manage_stock") is True, stock_quantity=qty)


class InventoryStoreActivities:
    def __init__(self, clients: Mapping[str, WooClient]) -> None:
        self._clients = clients

    def _client(self, store: str) -> WooClient:
        return store_client(self._clients, store)

    @activity.defn(name=refs.INVENTORY_STORE_STOCK.name)
    @classified
    @heartbeating
    def store_stock(self, inp: SkusInput) -> StoreStock:
        client = self._client(inp.store)
        if inp.skus is not None:
            raws = client.products_by_skus(inp.skus, chunk=SKU_CHUNK)
            return StoreStock(items=[i for r in raws if (i := store_item(r))],
                              calls=max(1, math.ceil(len(set(inp.skus)) / SKU_CHUNK)))
        items: list[StoreItem] = []
        calls = 1
        for n, raw in enumerate(client.iter_products(limit=MAX_SKUS), start=1):
            calls += n % 100 == 0
            if raw.get("type") == "variable":
                calls += 1
                for var in client.iter_variations(int(raw["id"])):
                    if (item := store_item({**var, "parent_id": raw["id"]})) is not None:
                        items.append(item)
            if (item := store_item(raw)) is not None:
                items.append(item)
            if len(items) >= MAX_SKUS:
                return StoreStock(items=items[:MAX_SKUS], truncated=True, calls=calls)
        return StoreStock(items=items, calls=calls)

    @activity.defn(name=refs.INVENTORY_PUSH.name)
    @classified
    @heartbeating
    def push(self, inp: PushInput) -> PushResult:
        client = self._client(inp.store)
        by_id = {p.product_id: p for p in inp.pushes}
        updates = [StockUpdate(product_id=p.product_id, stock_quantity=p.quantity,
                               parent_id=p.parent_id) for p in inp.pushes]
        batch = client.batch_update_stock(updates)
        out = PushResult(calls=batch.calls)
        out.updated = [by_id[i].sku for i in batch.updated if i in by_id]
        for err in batch.errors:
            push = by_id.get(_int(err.get("id")))
            if push is None:
                continue
            out.calls += 1
            try:  # once more on its own: a refused item may pass alone
                client.update_stock(StockUpdate(push.product_id, push.quantity, push.parent_id))
            except WooClientError as exc:
                out.failed.append(Problem(sku=push.sku, kind="push_failed",
                                          detail=f"{exc.code}: {str(exc)[:200]}"))
                continue
            out.updated.append(push.sku)
        return out


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class InventoryLedgerActivities:
    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    @activity.defn(name=refs.INVENTORY_RECORD.name)
    def record(self, inp: RecordInput) -> bool:
        """The comparison and one InventoryAdjusted per SKU the store took;
        idempotent by `check_key`, so a retry records them once."""
        wid = inventory_workflow_id(inp.store)
        events = [InventoryAdjusted(
            event_id=f"{inp.check_key}:{a.sku}", occurred_at=min(a.changed_at, inp.checked_at),
            recorded_at=inp.checked_at, source_system="wooerp", correlation_id=wid, sku=a.sku,
            quantity=a.quantity, store=inp.store, before=a.before, reason=inp.kind)
            for a in inp.adjustments]
        check = CheckRecord(store=inp.store, kind=inp.kind, checked_at=inp.checked_at,
                            compared=inp.compared, in_step=inp.in_step,
                            repaired=len(inp.adjustments), unresolved=inp.unresolved)
        return self._ledger.inventory_record(check, events, inp.check_key)
