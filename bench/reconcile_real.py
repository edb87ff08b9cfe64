"""bench.reconcile_real: reconciling a day on the real pieces.

A private embedded stack (Temporal dev server, Tryton, sandbox store, `wooerp
worker`; bench/stack.py) holds N store orders and, for each, its ERP sale
(created in batches of 100 straight through JSON-RPC, as drafts: the compare
reads what the ERP holds, whatever its state). No webhook is connected and
`max_recover` is 0, so the run starts no saga: it measures reading and
comparing, nothing else. Then one `ReconcileWorkflow` for today, and from its
own history, the time its store and ERP page activities ran.

    .venv/bin/python -m bench.reconcile_real [--orders 2000] [--seed 1]

Prints the run's wall time, the time spent just paging both sides in that
same run (store_page + erp_page activities, scheduled to completed), and
their ratio (goal: <= 1.2, the compare close to the cost of reading).
"""
from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from activities.reconcile_contracts import ReconcileWindow
from bench.orders import Shop, order_specs
from bench.stack import bench_stack
from canonical.entities import Address, Customer
from canonical.reconcile import business_day
from systems.erp.tryton.adapter import TrytonErp
from systems.woocommerce import mapping
from workers.sagas.client import SagaClient
from workflows.reconcile_types import ReconcilePolicy

BATCH = 100
STORE = "default"


def seed_store(shop: Shop, n: int, seed: int) -> list[dict[str, Any]]:
    created = []
    specs = order_specs(n, seed=seed, phase="reconcile")
    for start in range(0, n, BATCH):
        bodies = []
        for spec in specs[start:start + BATCH]:
            body = {"payment_method": "sandbox_card", "set_paid": True,
                    "billing": {"first_name": "Bench", "email": spec.email, "country": "US"},
                    "line_items": [{"product_id": shop._product_ids[s], "quantity": q}
                                   for s, q in spec.lines.items()]}
            if spec.shipping:
                body["shipping_lines"] = [{"method_id": "flat_rate", "total": "5.00"}]
            bodies.append(body)
        answer = shop._checked(shop.api.post("orders/batch", {"create": bodies}))
        created += [o for o in answer["create"] if "error" not in o]
    return created


async def seed_erp(erp: TrytonErp, raws: list[dict[str, Any]]) -> None:
    customer = Customer(email="bench-reconcile@example.com", first_name="Bench")
    address = Address(first_name="Bench", address_1="1 Loop Rd", city="Springfield",
                      postcode="62701", country="US")
    party = await erp.ensure_party(customer, address)
    addr = await erp.parties.address(party, address)
    currency = await erp.documents.currency_id("USD")
    for start in range(0, len(raws), BATCH):
        values = []
        for raw in raws[start:start + BATCH]:
            order = mapping.order_from_woo(raw, store=STORE)
            values.append({
                "party": party, "invoice_address": addr, "shipment_address": addr,
                "currency": currency, "wooerp_ref": f"woo:{STORE}:{order.woo_id}",
                "reference": order.number, "invoice_method": "order", "shipment_method": "order",
                "lines": [["create", await erp._sale_lines(order)]]})  # noqa: SLF001
        await erp.rpc.create("sale.sale", values)


async def main_async(n: int, seed: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        async with bench_stack(Path(tmp)) as stack:
            dev = stack.dev
            shop = Shop(dev.store_url, dev.secrets.consumer_key, dev.secrets.consumer_secret)
            shop.prepare()
            started = time.perf_counter()
            raws = await asyncio.to_thread(seed_store, shop, n, seed)
            store_s = time.perf_counter() - started
            conn = stack.erp
            erp = TrytonErp.connect(conn.url, conn.database, conn.user, conn.password(),
                                    timeout=300)
            started = time.perf_counter()
            await seed_erp(erp, raws)
            erp_s = time.perf_counter() - started
            await erp.aclose()
            print(f"seeded {len(raws)} store orders in {store_s:.0f} s and their ERP sales in "
                  f"{erp_s:.0f} s")
            today = datetime.now(timezone.utc).date()
            day = business_day(today, "UTC")
            window = ReconcileWindow(store=STORE, first_day=today, last_day=today,
                                     timezone="UTC", start=day.start, end=day.end)
            sagas = await SagaClient.connect(dev.settings)
            started = time.perf_counter()
            wid, _ = await sagas.start_reconcile(window, ReconcilePolicy(max_recover=0))
            result = await sagas.reconcile_result(wid)
            total_s = time.perf_counter() - started
            spent = await activity_seconds(sagas, wid)
    paging = spent["reconcile.store_page"] + spent["reconcile.erp_page"]
    print(f"(b) reconcile of {result.compared.orders_compared} orders on the real pieces: "
          f"{total_s:.1f} s; just paging both sides in the same run {paging:.1f} s "
          f"(store {spent['reconcile.store_page']:.1f} s in {result.progress.pages_read} "
          f"pages read in all, ERP {spent['reconcile.erp_page']:.1f} s); "
          f"reconcile / paging = {total_s / paging:.2f} (goal <= 1.2)")
    print("    per activity (s): " + ", ".join(f"{k.removeprefix('reconcile.')} {v:.1f}"
                                               for k, v in sorted(spent.items())))


async def activity_seconds(sagas: SagaClient, wid: str) -> dict[str, float]:
    """Scheduled-to-completed time of each activity type, summed, from the history."""
    spent: dict[str, float] = defaultdict(float)
    scheduled: dict[int, tuple[str, datetime]] = {}
    history = await sagas.temporal.get_workflow_handle(wid).fetch_history()
    for e in history.events:
        if e.HasField("activity_task_scheduled_event_attributes"):
            a = e.activity_task_scheduled_event_attributes
            scheduled[e.event_id] = (a.activity_type.name, e.event_time.ToDatetime())
        elif e.HasField("activity_task_completed_event_attributes"):
            name, at = scheduled[e.activity_task_completed_event_attributes.scheduled_event_id]
            spent[name] += (e.event_time.ToDatetime() - at).total_seconds()
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    asyncio.run(main_async(args.orders, args.seed))


if __name__ == "__main__":
    main()
