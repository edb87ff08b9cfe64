"""ReturnSaga: an RMA from authorization to refund.

authorized → items received (reported by the warehouse or support, partial
receipts allowed) → disposition per line → child RefundSaga per disposition
for what was actually received → closed. Support may reject instead.
"""
from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from canonical import events as ev
    from canonical.entities import Disposition
    from workflows.refund_saga import RefundSaga
    from workflows.refund_types import (Decision, LineRequest, RefundSagaInput, ReturnSagaInput,
                                        ReturnStatus, refund_workflow_id)
    from workflows.saga import Saga
    from workflows.stages import Stage


@workflow.defn(name="ReturnSaga")
class ReturnSaga(Saga):
    def __init__(self) -> None:
        super().__init__()
        self._received: dict[int, int] | None = None
        self._rejection: Decision | None = None
        self._refund_ids: list[str] = []

    @workflow.update
    async def receive(self, quantities: dict[int, int]) -> ReturnStatus:
        self._received = {int(k): v for k, v in quantities.items() if v > 0}
        return self.status()

    @receive.validator
    def _check_receive(self, quantities: dict[int, int]) -> None:
        if self._received is not None or self._rejection is not None:
            raise ApplicationError(f"return is already {self._stage}")
        allowed = {line.line_id: line.quantity for line in self._inp.lines}
        for line_id, qty in quantities.items():
            if int(line_id) not in allowed:
                raise ApplicationError(f"line {line_id} is not part of this return")
            if not 0 <= qty <= allowed[int(line_id)]:
                raise ApplicationError(
                    f"line {line_id}: received {qty}, authorized {allowed[int(line_id)]}")

    @workflow.update
    async def reject(self, decision: Decision) -> ReturnStatus:
        self._rejection = decision
        return self.status()

    @reject.validator
    def _check_reject(self, decision: Decision) -> None:
        if self._received is not None or self._rejection is not None:
            raise ApplicationError(f"return is already {self._stage}")

    @workflow.query
    def status(self) -> ReturnStatus:
        return ReturnStatus(
            workflow_id=workflow.info().workflow_id, stage=self._stage,
            received=dict(self._received or {}),
            refund_workflow_id=", ".join(self._refund_ids) or None, events=list(self._events),
            pending_action=self._pending_action, last_error=self._last_error)

    @workflow.run
    async def run(self, inp: ReturnSagaInput) -> ReturnStatus:
        self._inp = inp
        await self._record(ev.ReturnAuthorized, source="support", rma=inp.rma,
                           quantities=_by_sku(inp, {l.line_id: l.quantity for l in inp.lines}))
        if not await self._await_receipt():
            self._set_stage(Stage.REJECTED)
            return self.status()
        received = self._received or {}
        await self._record(ev.ReturnReceived, rma=inp.rma, quantities=_by_sku(inp, received))
        for disposition in (Disposition.RESTOCK, Disposition.SCRAP):
            lines = [LineRequest(line_id=l.line_id, quantity=received[l.line_id])
                     for l in inp.lines
                     if l.disposition == disposition and received.get(l.line_id)]
            if lines:
                await self._refund(disposition, lines)
        self._set_stage(Stage.CLOSED)
        return self.status()

    async def _await_receipt(self) -> bool:
        self._set_stage(Stage.AWAITING_RECEIPT)
        self._pending_action = "report received items (wooerp return receive)"
        try:
            await workflow.wait_condition(
                lambda: self._received is not None or self._rejection is not None,
                timeout=timedelta(seconds=self._inp.receive_timeout_seconds))
        except TimeoutError:
            self._set_stage(Stage.NEEDS_ATTENTION, reason="return items not received in time")
            await workflow.wait_condition(
                lambda: self._received is not None or self._rejection is not None)
        self._pending_action = None
        return self._rejection is None

    async def _refund(self, disposition: Disposition, lines: list[LineRequest]) -> None:
        inp = self._inp
        key = f"{inp.rma}-{disposition.value}"
        wid = refund_workflow_id(inp.store, inp.woo_order_id, key)
        self._refund_ids.append(wid)
        self._set_stage(Stage.REFUNDING)
        await workflow.execute_child_workflow(
            RefundSaga.run, RefundSagaInput(
                store=inp.store, woo_order_id=inp.woo_order_id, key=key, origin="return",
                lines=lines, reason=f"Return {inp.rma}: {inp.reason}".strip(),
                requested_by=inp.authorized_by, disposition=disposition, preapproved=True,
                policy=inp.refund_policy), id=wid)


def _by_sku(inp: ReturnSagaInput, quantities: dict[int, int]) -> dict[str, int]:
    skus = {l.line_id: l.sku or f"line-{l.line_id}" for l in inp.lines}
    out: dict[str, int] = {}
    for line_id, qty in quantities.items():
        out[skus[line_id]] = out.get(skus[line_id], 0) + qty
    return out
