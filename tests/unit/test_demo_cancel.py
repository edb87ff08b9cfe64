"""The demo's cancel scenario cancels once the ERP sale exists and before
shipment. The saga knows its ERP document a moment before it leaves
awaiting_erp (it records the acceptance first); under load the demo saw that
moment and gave up ("could not cancel before shipment: ... awaiting_erp")."""
from __future__ import annotations

from sandbox.demo.scenarios import Driver, Outcome


class Shop:
    def __init__(self) -> None:
        self.cancelled: list[int] = []

    async def place_order(self, lines, **extra):
        return {"id": 11, "line_items": []}

    async def cancel(self, order_id: int) -> None:
        self.cancelled.append(order_id)

    async def order(self, order_id: int):
        return {"id": order_id, "status": "cancelled"}


class Support:
    """The saga as the support API shows it, one answer per poll."""

    def __init__(self, shop: Shop) -> None:
        self.shop = shop
        self.seen = iter([
            {"stage": "awaiting_erp", "erp_document": None},
            {"stage": "awaiting_erp", "erp_document": "41"},  # accepted, not yet recorded
            {"stage": "writing_back", "erp_document": "41"},
        ])

    async def order(self, store: str, order_id: int):
        if self.shop.cancelled:
            return {"stage": "cancelled", "erp_document": "41"}
        return next(self.seen)


async def test_the_cancel_scenario_waits_for_the_stage_not_just_the_erp_document():
    shop = Shop()
    driver = Driver(shop, Support(shop), "default", timeout=30,
                    on_placed=lambda: None, on_done=lambda: None)
    o = Outcome("cancelled")
    await driver.run(o, driver.cancelled)
    assert o.error is None
    assert shop.cancelled == [11] and o.saga["stage"] == "cancelled"
