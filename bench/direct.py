"""The baselines: order acceptance made straight to the ERP, with no
Temporal, ingress or ledger in between.

* direct: the calls the saga's two ERP activities make on an ERP without
  the wooerp_link module (activities/erp.py): validate_order looks up each
  line's SKU, reads stock levels and ensures the customer's party;
  accept_order creates (idempotently) and confirms the sale;
* floor: the one server-side call of the wooerp_link module
  (`sale.sale.wooerp_accept`: party, sale, quote and confirm in one ERP
  transaction), the least any integration can ask of this ERP per order.
"""
from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Sequence

from canonical.entities import Order
from systems.erp.tryton.accept import accept_payload
from systems.erp.errors import ErpRetryableError
from systems.erp.tryton.adapter import TrytonErp

# The module refuses the loser of a race for a new party as retryable; the
# saga's activity would retry it, so the floor does too, at once and
# unsynchronised (the least any integration pays for the race).
FLOOR_ATTEMPTS = 5
FLOOR_PAUSE_S = 0.05
floor_retries = 0  # how often a floor call was refused as a race, this run


async def accept_directly(erp: TrytonErp, order: Order, external_ref: str) -> None:
    needed = []
    for line in order.lines:
        if await erp.product_by_sku(line.sku) is None:
            raise RuntimeError(f"SKU {line.sku} is not in the ERP")
        needed.append(line.sku)
    levels = await erp.stock_levels(needed)
    if any(levels.get(line.sku, 0) < line.quantity for line in order.lines):
        raise RuntimeError(f"not enough ERP stock for {order.woo_id}: {levels}")
    await erp.ensure_party(order.customer, order.billing, order.shipping)
    await erp.create_sale(order, external_ref)
    sale = await erp.confirm_sale(external_ref)
    if sale.state not in ("confirmed", "processing"):
        raise RuntimeError(f"{external_ref} ended {sale.state}")


async def accept_floor(erp: TrytonErp, order: Order, external_ref: str) -> None:
    global floor_retries
    for attempt in range(1, FLOOR_ATTEMPTS + 1):
        try:
            sale = await erp.rpc.execute("sale.sale", "wooerp_accept", external_ref,
                                         accept_payload(order))
            break
        except ErpRetryableError:
            if attempt == FLOOR_ATTEMPTS:
                raise
            floor_retries += 1
            await asyncio.sleep(random.uniform(0, FLOOR_PAUSE_S * 2 ** attempt))
    if sale["state"] not in ("confirmed", "processing"):
        raise RuntimeError(f"{external_ref} ended {sale['state']}")


async def run_direct(erp: TrytonErp, orders: Sequence[Order], concurrency: int,
                     ref_prefix: str, accept=accept_directly) -> tuple[float, list[float]]:
    """Accept every order, `concurrency` at a time; returns (elapsed, latencies)."""
    todo = iter(orders)
    latencies: list[float] = []

    async def lane() -> None:
        for order in todo:
            started = time.perf_counter()
            await accept(erp, order, f"{ref_prefix}:{order.woo_id}")
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(lane() for _ in range(concurrency)))
    return time.perf_counter() - started, latencies
