"""ERP work per accepted order: wooerp_link's one call against today's multi-call path.

One Tryton (the sandbox template, on a free port in a temporary directory),
one client, orders one at a time, the sides alternating in ABBA rounds on
the same server so a change in machine speed hits them alike:

* multi: `TrytonErp.create_sale` + `confirm_sale`, what `erp.accept_order`
  asks of the ERP today (party, addresses, products, create, quote,
  confirm, and Tryton's queued `process` after the commit, ~15 calls);
* multi+validate: that plus `erp.validate_order`'s lookups (SKUs, stock,
  party), i.e. the whole of today's acceptance (bench/direct.py);
* one call: `sale.sale.wooerp_accept`, the same sale in one RPC and one
  transaction.

Printed per order: wall time (p50/p95) and CPU seconds of the trytond
process and of this client, then ratios against the multi-call sides.
Nothing is asserted.

    .venv/bin/python -m bench.erp_accept [--orders 40] [--rounds 2] [--seed 1]
"""
from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

from bench.cpu import cpu_seconds, machine_busy
from bench.direct import accept_directly
from bench.orders import OrderSpec, order_specs
from bench.stats import percentile
from canonical.entities import Address, Customer, Order, OrderLine, ShippingLine
from canonical.money import Money
from sandbox.catalog import CATALOG, TAX_RATE
from sandbox.erp.instance import start_instance
from sandbox.erp.template import default_templates_dir
from systems.erp.tryton.accept import accept_payload
from systems.erp.tryton.adapter import TrytonErp

PRICES = {item.sku: item.price for item in CATALOG}


@dataclass
class Side:
    name: str
    wall: list[float] = field(default_factory=list)
    erp_cpu: float = 0.0
    client_cpu: float = 0.0

    def row(self) -> str:
        n = len(self.wall)
        return (f"{self.name:<16} n={n:<4} wall p50 {percentile(self.wall, 50) * 1000:6.0f} ms"
                f"  p95 {percentile(self.wall, 95) * 1000:6.0f} ms  |  CPU per order: "
                f"trytond {self.erp_cpu / n * 1000:6.0f} ms, client "
                f"{self.client_cpu / n * 1000:5.0f} ms")


def make_order(spec: OrderSpec, woo_id: int) -> Order:
    """A canonical order for a spec, priced from the catalog, taxed at the sandbox rate."""
    usd = lambda v: Money.of(v, "USD")  # noqa: E731
    discount = Decimal("0.9") if spec.coupon else Decimal(1)
    lines = []
    for index, (sku, qty) in enumerate(spec.lines.items(), start=1):
        net = (PRICES[sku] * qty * discount).quantize(Decimal("0.01"))
        lines.append(OrderLine(line_id=index, sku=sku, name=sku, quantity=qty,
                               subtotal=usd(PRICES[sku] * qty),
                               subtotal_tax=usd(PRICES[sku] * qty * TAX_RATE),
                               total=usd(net), total_tax=usd(net * TAX_RATE)))
    shipping = [ShippingLine(line_id=90, method_title="Flat rate", total=usd("5.00"),
                             total_tax=usd("0.50"))] if spec.shipping else []
    net = sum((l.total.amount for l in lines), Decimal(0)) + sum(
        (s.total.amount for s in shipping), Decimal(0))
    tax = sum((l.total_tax.amount for l in [*lines, *shipping]), Decimal(0))
    address = Address(first_name="Bench", last_name=spec.email.partition("@")[0],
                      address_1="1 Loop Rd", city="Springfield", postcode="62701",
                      country="US", email=spec.email)
    now = datetime.now(timezone.utc)
    return Order(store="bench", woo_id=woo_id, number=str(woo_id), woo_status="processing",
                 currency="USD", customer=Customer(email=spec.email, first_name="Bench"),
                 billing=address, shipping=address, lines=lines, shipping_lines=shipping,
                 discount_total=usd(0), discount_tax=usd(0),
                 shipping_total=usd(sum((s.total.amount for s in shipping), Decimal(0))),
                 shipping_tax=usd(sum((s.total_tax.amount for s in shipping), Decimal(0))),
                 cart_tax=usd(sum((l.total_tax.amount for l in lines), Decimal(0))),
                 total=usd(net + tax), total_tax=usd(tax), date_created=now, date_modified=now)


async def multi(erp: TrytonErp, order: Order, ref: str) -> None:
    await erp.create_sale(order, ref)
    sale = await erp.confirm_sale(ref)
    assert sale.state == "processing", sale


async def multi_validated(erp: TrytonErp, order: Order, ref: str) -> None:
    await accept_directly(erp, order, ref)


async def one_call(erp: TrytonErp, order: Order, ref: str) -> None:
    sale = await erp.rpc.execute("sale.sale", "wooerp_accept", ref, accept_payload(order))
    assert sale["state"] == "processing" and sale["created"], sale


SIDES = {"multi": multi, "multi+validate": multi_validated, "one call": one_call}


async def run(side: Side, erp: TrytonErp, pid: int, orders: list[Order], run_id: str) -> None:
    call = SIDES[side.name]
    for order in orders:
        ref = f"bench:{run_id}:{side.name}:{order.woo_id}"
        erp_before, client_before = cpu_seconds(pid), cpu_seconds()
        started = time.perf_counter()
        await call(erp, order, ref)
        side.wall.append(time.perf_counter() - started)
        # Tryton runs the queued `process` after the commit but before it
        # answers, so the counters are complete when the call returns.
        side.erp_cpu += cpu_seconds(pid) - erp_before
        side.client_cpu += cpu_seconds() - client_before


async def redundant_process(erp: TrytonErp, pid: int, run_id: str, orders: list[Order]) -> None:
    """What the `process` task confirm queues would cost on top of the one
    call, which processes inline and drops it: the same pass made again on a
    processed sale (over RPC, so a little more than the queued task)."""
    ids = [(await erp.documents.find_sale(f"bench:{run_id}:one call:{o.woo_id}")) for o in orders]
    before = cpu_seconds(pid)
    for sale_id in ids:
        await erp.rpc.button("sale.sale", "process", [sale_id])
    print(f"a second `process` pass on a processed sale (the dropped queued task): "
          f"trytond {(cpu_seconds(pid) - before) / len(ids) * 1000:.0f} ms CPU per order")


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-erp-accept-") as tmp:
        server, connection, _ = start_instance(Path(tmp), templates_dir=default_templates_dir(),
                                               log=lambda m: print(m, flush=True))
        erp = TrytonErp.connect(connection.url, connection.database, connection.user,
                                connection.password(), timeout=60)
        pid, run_id = server.process.pid, uuid.uuid4().hex[:8]
        try:
            sides = {name: Side(name) for name in SIDES}
            # Each side its own customers (half repeat buyers), same proportions.
            batches = {name: [make_order(spec, 1000 * i + n) for n, spec in enumerate(
                order_specs(args.orders + 3, seed=args.seed, phase=name.replace("+", "-")))]
                for i, name in enumerate(SIDES)}
            for name in SIDES:  # warm-up: login, caches, first parties
                await run(Side(name), erp, pid, batches[name][:3], f"{run_id}-warm")
            per_round = max(1, args.orders // (2 * args.rounds))
            todo = {name: batches[name][3:] for name in SIDES}
            busy_before, started = machine_busy(), time.perf_counter()
            while any(todo.values()):
                for order in (list(SIDES), list(reversed(SIDES))):  # ABBA
                    for name in order:
                        chunk, todo[name] = todo[name][:per_round], todo[name][per_round:]
                        await run(sides[name], erp, pid, chunk, run_id)
            elapsed = time.perf_counter() - started
            other = machine_busy() - busy_before - sum(
                s.erp_cpu + s.client_cpu for s in sides.values())
            print(f"\nERP work per accepted order, {args.orders} orders a side, one at a time, "
                  f"same trytond (seed {args.seed}); other load on the machine "
                  f"{max(0.0, other) / elapsed:.2f} cores\n")
            for side in sides.values():
                print(side.row())
            one = sides["one call"]
            for name in ("multi", "multi+validate"):
                base = sides[name]
                print(f"one call / {name:<14}: trytond CPU "
                      f"{one.erp_cpu / base.erp_cpu:.2f}, wall p50 "
                      f"{percentile(one.wall, 50) / percentile(base.wall, 50):.2f}, "
                      f"client CPU {one.client_cpu / base.client_cpu:.2f}")
            await redundant_process(erp, pid, run_id, batches["one call"][3:13])
        finally:
            await erp.aclose()
            server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    asyncio.run(main(parser.parse_args()))
