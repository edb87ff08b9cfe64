"""The demo's traffic: one coroutine per order, each driving its order
through the store and the support API and recording what wooerp made of it.

Every wait polls over HTTP until a shared deadline, so a stuck saga ends the
demo with a clear "still <stage>" instead of hanging.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from sandbox.demo.shop import Shop, ShopError, line_id
from sandbox.demo.support import Support, SupportError

ORDER_DONE = {"closed", "cancelled", "needs_attention", "resolved"}
REFUND_DONE = {"completed", "rejected", "needs_attention", "resolved"}
RETURN_DONE = {"closed", "rejected", "needs_attention"}
# Stages in which the ERP sale exists but the warehouse has not shipped it.
CANCELLABLE = {"writing_back", "awaiting_shipment"}
BEFORE_SALE = {"starting", "awaiting_payment", "validating", "awaiting_erp"}
PLAIN_SKUS = ("WOO-TSHIRT", "WOO-HOODIE", "WOO-POSTER", "WOO-CAP-BLUE", "WOO-MUG")
POLL_SECONDS = 0.5


class DemoTimeout(Exception):
    pass


@dataclass
class Outcome:
    kind: str  # plain, multi-line, cancelled, unmapped, refund, return
    order_id: int | None = None
    placed: dict[str, Any] | None = None  # the store's answer to the order POST
    woo_order: dict[str, Any] | None = None  # the store's view once settled
    saga: dict[str, Any] | None = None  # the OrderSaga status (support API)
    refund: dict[str, Any] | None = None  # RefundSaga status
    ret: dict[str, Any] | None = None  # ReturnSaga status
    rma: str | None = None
    store_refunds: list[dict[str, Any]] = field(default_factory=list)
    waiting_for: str = "placing"
    last_stage: str = ""  # of whatever it waits for, for the progress line
    done: bool = False
    error: str | None = None  # the demo could not drive it (store refused, timeout)


class Driver:
    def __init__(self, shop: Shop, support: Support, store: str, timeout: float,
                 on_placed: Callable[[], None], on_done: Callable[[], None]) -> None:
        self.shop, self.support, self.store = shop, support, store
        self.deadline = time.monotonic() + timeout
        self.timeout = timeout
        self.on_placed, self.on_done = on_placed, on_done

    # the mix ---------------------------------------------------------------------
    def plan(self, plain: int) -> list[tuple[Outcome, Callable[[Outcome], Awaitable[None]]]]:
        plan = [(Outcome("plain"), self._plain_driver(PLAIN_SKUS[i % len(PLAIN_SKUS)]))
                for i in range(plain)]
        plan += [(Outcome("multi-line"), self.multi_line), (Outcome("cancelled"), self.cancelled),
                 (Outcome("unmapped"), self.unmapped), (Outcome("refund"), self.refund),
                 (Outcome("return"), self.returned)]
        return plan

    async def run(self, outcome: Outcome, drive: Callable[[Outcome], Awaitable[None]]) -> None:
        try:
            await drive(outcome)
        except (ShopError, SupportError, DemoTimeout) as exc:
            outcome.error = str(exc)
        finally:
            if outcome.order_id is not None:
                try:
                    outcome.woo_order = await self.shop.order(outcome.order_id)
                except ShopError as exc:
                    outcome.error = outcome.error or str(exc)
            outcome.done = True
            outcome.waiting_for = ""
            self.on_done()

    # scenarios -------------------------------------------------------------------
    def _plain_driver(self, sku: str) -> Callable[[Outcome], Awaitable[None]]:
        async def drive(o: Outcome) -> None:
            await self._place(o, {sku: 1})
            await self._settle(o)
        return drive

    async def multi_line(self, o: Outcome) -> None:
        await self._place(o, {"WOO-HOODIE": 1, "WOO-TSHIRT": 2, "WOO-MUG": 1},
                          coupon="save10", shipping="5.00")
        await self._settle(o)

    async def unmapped(self, o: Outcome) -> None:
        await self._place(o, {"WOO-UNMAPPED": 1, "WOO-MUG": 1})
        await self._settle(o)

    async def cancelled(self, o: Outcome) -> None:
        """Cancel in the store once the ERP sale exists, before the warehouse ships."""
        await self._place(o, {"WOO-TSHIRT": 1})
        # The ERP document is known a moment before the saga leaves awaiting_erp
        # (it records the acceptance first): wait for the stage, not the document.
        saga = await self._poll(o, "ERP sale", lambda: self._order_status(o),
                                lambda s: (s["erp_document"] is not None
                                           and s["stage"] not in BEFORE_SALE)
                                or s["stage"] in ORDER_DONE)
        if saga["stage"] not in CANCELLABLE:
            raise DemoTimeout(f"could not cancel before shipment: the saga was already "
                              f"{saga['stage']} (raise --ship-delay)")
        await self.shop.cancel(o.order_id)
        await self._settle(o)

    async def refund(self, o: Outcome) -> None:
        """Support asks for one line back, a manager approves, wooerp moves the money."""
        await self._place(o, {"WOO-TSHIRT": 1, "WOO-POSTER": 2})
        if not await self._closed(o):
            return
        wid = await self.support.request_refund(
            self.store, o.order_id, {line_id(o.placed, "WOO-POSTER"): 2},
            reason="Posters arrived creased", key="demo")
        await self._poll(o, "refund approval", lambda: self._refund_status(o, wid),
                         lambda r: r["stage"] == "awaiting_approval" or r["stage"] in REFUND_DONE)
        if o.refund["stage"] == "awaiting_approval":
            await self.support.approve_refund(wid)
        await self._refund_settled(o, wid)

    async def returned(self, o: Outcome) -> None:
        """An RMA for one hoodie: authorized, received, then refunded by a child saga."""
        await self._place(o, {"WOO-HOODIE": 2})
        if not await self._closed(o):
            return
        o.rma = f"RMA-{o.order_id}"
        line = line_id(o.placed, "WOO-HOODIE")
        await self.support.authorize_return(
            self.store, o.rma, o.order_id,
            [{"line_id": line, "sku": "WOO-HOODIE", "quantity": 1, "disposition": "restock"}],
            reason="Wrong size")
        await self._poll(o, "return parcel", lambda: self._return_status(o),
                         lambda r: r["stage"] == "awaiting_receipt" or r["stage"] in RETURN_DONE)
        if o.ret["stage"] == "awaiting_receipt":
            await self.support.receive_return(self.store, o.rma, {line: 1})
        ret = await self._poll(o, "return", lambda: self._return_status(o),
                               lambda r: r["stage"] in RETURN_DONE)
        if ret["refund_workflow_id"]:
            await self._refund_settled(o, ret["refund_workflow_id"])

    # steps -----------------------------------------------------------------------
    async def _place(self, o: Outcome, lines: dict[str, int], **extra: Any) -> None:
        o.placed = await self.shop.place_order(lines, **extra)
        o.order_id = int(o.placed["id"])
        self.on_placed()

    async def _settle(self, o: Outcome) -> dict[str, Any]:
        return await self._poll(o, "order saga", lambda: self._order_status(o),
                                lambda s: s["stage"] in ORDER_DONE)

    async def _closed(self, o: Outcome) -> bool:
        return (await self._settle(o))["stage"] == "closed"  # else the table says why

    async def _refund_settled(self, o: Outcome, wid: str) -> None:
        await self._poll(o, "refund", lambda: self._refund_status(o, wid),
                         lambda r: r["stage"] in REFUND_DONE)
        o.store_refunds = await self.shop.refunds(o.order_id)

    async def _order_status(self, o: Outcome) -> dict[str, Any] | None:
        o.saga = await self.support.order(self.store, o.order_id) or o.saga
        return o.saga

    async def _refund_status(self, o: Outcome, wid: str) -> dict[str, Any] | None:
        o.refund = await self.support.refund(wid) or o.refund
        return o.refund

    async def _return_status(self, o: Outcome) -> dict[str, Any] | None:
        o.ret = await self.support.return_status(self.store, o.rma) or o.ret
        return o.ret

    async def _poll(self, o: Outcome, what: str, fetch: Callable[[], Awaitable[Any]],
                    done: Callable[[Any], bool]) -> Any:
        o.waiting_for = what
        while True:
            value = await fetch()
            o.last_stage = value["stage"] if value else ""
            if value is not None and done(value):
                return value
            if time.monotonic() > self.deadline:
                seen = f"still {value['stage']}" if value else "never seen by wooerp"
                raise DemoTimeout(f"timed out after {self.timeout:.0f} s waiting for the {what} "
                                  f"({seen})")
            await asyncio.sleep(POLL_SECONDS)


async def drive_all(driver: Driver, plan: list[tuple[Outcome, Callable]]) -> list[Outcome]:
    await asyncio.gather(*(driver.run(o, drive) for o, drive in plan))
    return [o for o, _ in plan]
