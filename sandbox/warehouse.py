"""A warehouse and accounting simulator for the sandbox ERP.

Stands in for the people who, in a real company, pick and pack what the ERP
asks for, post the invoices and book returned parcels: it polls Tryton over
JSON-RPC and moves documents along once they have waited a configurable
delay. `step()` does one pass, so tests can drive it deterministically;
`run()` loops until stopped.

It talks to the ERP only (never to wooerp), with an ordinary Tryton RPC client.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Callable

import structlog

from systems.erp.errors import ErpError, ErpRejectedError
from systems.erp.tryton.rpc import TrytonRpc

log = structlog.get_logger(__name__)

OPEN_SHIPMENT_STATES = ["waiting", "assigned", "picked", "packed"]
# Tryton's outgoing shipment workflow, one button per step (RECIPE.md 4.1).
NEXT_STEP = {"waiting": "assign_try", "assigned": "pick", "picked": "pack", "packed": "do"}


@dataclass
class StepReport:
    shipped: list[int] = field(default_factory=list)  # shipments done in this pass
    waiting_for_stock: list[int] = field(default_factory=list)
    invoices_posted: list[int] = field(default_factory=list)
    returns_received: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class Warehouse:
    def __init__(self, rpc: TrytonRpc, *, ship_delay: float = 5.0, invoice_delay: float = 5.0,
                 receive_returns: bool = True, force_assign: bool = False,
                 clock: Callable[[], float] = time.monotonic):
        self.rpc = rpc
        self.ship_delay, self.invoice_delay = ship_delay, invoice_delay
        self.receive_returns, self.force_assign = receive_returns, force_assign
        self._clock = clock
        self._first_seen: dict[tuple[str, int], float] = {}

    async def step(self) -> StepReport:
        """One pass over open shipments, draft invoices and pending returns."""
        report = StepReport()
        for shipment_id in await self._due("stock.shipment.out",
                                           [["state", "in", OPEN_SHIPMENT_STATES]],
                                           self.ship_delay):
            await self._guard(report, self._ship, shipment_id, report)
        for invoice_id in await self._due("account.invoice",
                                          [["type", "=", "out"], ["state", "=", "draft"]],
                                          self.invoice_delay):
            await self._guard(report, self._post, invoice_id, report)
        if self.receive_returns:
            for return_id in await self._due("stock.shipment.out.return",
                                             [["state", "in", ["draft", "received"]]],
                                             self.ship_delay):
                await self._guard(report, self._receive, return_id, report)
        return report

    async def run(self, interval: float = 1.0, stop: asyncio.Event | None = None) -> None:
        stop = stop or asyncio.Event()
        while not stop.is_set():
            try:
                report = await self.step()
                if report.shipped or report.invoices_posted or report.returns_received:
                    log.info("warehouse.step", shipped=report.shipped,
                             invoices_posted=report.invoices_posted,
                             returns_received=report.returns_received)
            except ErpError as exc:  # the ERP restarting, say: try again next tick
                log.warning("warehouse.step_failed", error=str(exc))
            try:
                await asyncio.wait_for(stop.wait(), timeout=interval)
            except asyncio.TimeoutError:
                pass

    async def _due(self, model: str, domain: list, delay: float) -> list[int]:
        ids = await self.rpc.search(model, domain, order=[["id", "ASC"]])
        now, open_ids = self._clock(), set(ids)
        # Forget documents that left the queue, so a long run does not grow.
        self._first_seen = {k: v for k, v in self._first_seen.items()
                            if k[0] != model or k[1] in open_ids}
        for record_id in ids:
            self._first_seen.setdefault((model, record_id), now)
        return [i for i in ids if now - self._first_seen[(model, i)] >= delay]

    async def _guard(self, report: StepReport, action, *args) -> None:
        # One stuck document must not stop the others from moving.
        try:
            await action(*args)
        except ErpRejectedError as exc:
            report.errors.append(str(exc))
            log.warning("warehouse.refused", error=str(exc))

    async def _ship(self, shipment_id: int, report: StepReport) -> None:
        model = "stock.shipment.out"
        state = await self._state(model, shipment_id)
        while state in NEXT_STEP:
            await self.rpc.button(model, NEXT_STEP[state], [shipment_id])
            new_state = await self._state(model, shipment_id)
            if new_state == state == "waiting":
                # assign_try does not raise when stock is short (RECIPE.md gotcha 6).
                if not self.force_assign:
                    report.waiting_for_stock.append(shipment_id)
                    return
                await self.rpc.button(model, "assign_force", [shipment_id])
                new_state = await self._state(model, shipment_id)
            state = new_state
        if state == "done":
            report.shipped.append(shipment_id)

    async def _post(self, invoice_id: int, report: StepReport) -> None:
        await self.rpc.button("account.invoice", "post", [invoice_id])
        report.invoices_posted.append(invoice_id)

    async def _receive(self, return_id: int, report: StepReport) -> None:
        model = "stock.shipment.out.return"
        if await self._state(model, return_id) == "draft":
            await self.rpc.button(model, "receive", [return_id])
        await self.rpc.button(model, "do", [return_id])
        report.returns_received.append(return_id)

    async def _state(self, model: str, record_id: int) -> str:
        row, = await self.rpc.read(model, [record_id], ["state"])
        return row["state"]
