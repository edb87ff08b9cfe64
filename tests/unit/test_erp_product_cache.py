"""The adapter's product cache under concurrent validations (the demo's first
orders validate at once in one worker): a call must answer with what it found
even when another call, which read the shared SKU map a moment earlier, drops
that product from the cache. Lost, the SKU reads as "not mapped" and the
order parks (seen in `wooerp demo`)."""
from __future__ import annotations

import asyncio
import threading

from systems.erp.tryton.products import Products

ROW = {"id": 7, "code": "WOO-TSHIRT", "name": "T-Shirt", "type": "goods", "default_uom": 1,
       "sale_uom": 1, "list_price_used": "18.00", "account_category": None}


class HeldMap:
    """The ledger's SKU map; the first `remember` waits for `release` before
    it writes, as a slow database would."""

    def __init__(self) -> None:
        self.map: dict[str, int] = {}
        self.remembering, self.release = threading.Event(), threading.Event()
        self._first = True

    def ids_for(self, skus):
        return {s: self.map[s] for s in skus if s in self.map}

    def remember(self, sku: str, product_id: int) -> None:
        if self._first:
            self._first = False
            self.remembering.set()
            assert self.release.wait(10)
        self.map[sku] = product_id

    def forget(self, skus=None) -> int:
        return 0


class Rpc:
    """Tryton's search_read for products; the second search waits for `go`."""

    def __init__(self) -> None:
        self.searches = 0
        self.second_waiting, self.go = asyncio.Event(), asyncio.Event()

    async def search_read(self, model, domain, fields):
        self.searches += 1
        if self.searches == 2:
            self.second_waiting.set()
            await self.go.wait()
        return [dict(ROW)]


async def test_a_product_found_is_answered_though_a_concurrent_call_drops_it_from_the_cache():
    ids, rpc = HeldMap(), Rpc()
    products = Products(rpc, "USD", warehouse=1, ids=ids)
    first = asyncio.create_task(products.by_skus(["WOO-TSHIRT"]))
    # The first call found the product and is writing it to the map ...
    assert await asyncio.to_thread(ids.remembering.wait, 10)
    # ... when a second call reads the map (not written yet) and searches again.
    second = asyncio.create_task(products.by_skus(["WOO-TSHIRT"]))
    await asyncio.wait_for(rpc.second_waiting.wait(), 10)
    ids.release.set()
    found = await asyncio.wait_for(first, 10)
    rpc.go.set()
    again = await asyncio.wait_for(second, 10)
    assert found["WOO-TSHIRT"].product.id == 7
    assert again["WOO-TSHIRT"].product.id == 7
    assert ids.map == {"WOO-TSHIRT": 7}
