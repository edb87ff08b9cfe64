"""Two changes a developer could well make to the OrderSaga, each registered
under the deployed saga's name: both change the commands a replay of an old
history produces, so replay must reject them. (Own module: the workflow
sandbox re-imports the module a workflow is defined in.)"""
from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities import refs
    from workflows.order_saga import OrderSaga
    from workflows.order_types import OrderSagaInput, SagaStatus


@workflow.defn(name="OrderSaga")
class OrderSagaWithAnExtraLookup(OrderSaga):
    """An ERP read inserted before the first step."""

    @workflow.run
    async def run(self, inp: OrderSagaInput) -> SagaStatus:
        return await super().run(inp)

    async def _order_to_cash(self) -> None:
        await workflow.execute_activity(refs.ERP_GET_SALE.name, "woo:replay:0",
                                        start_to_close_timeout=timedelta(seconds=5))
        await super()._order_to_cash()


@workflow.defn(name="OrderSaga")
class OrderSagaThatWaitsFirst(OrderSaga):
    """A durable timer added before payment is checked."""

    @workflow.run
    async def run(self, inp: OrderSagaInput) -> SagaStatus:
        return await super().run(inp)

    async def _await_payment(self) -> bool:
        await workflow.sleep(timedelta(seconds=1))
        return await super()._await_payment()
