"""RefundSaga: return-to-refund for one refund of one order.

requested → approved (support, or automatically) → money (Woo refund with
api_refund) → ERP credit note → stock disposition → completed.

Money never moves twice: the Woo refund is created once, looked up by its
reference on a retry, and a failure after it moved parks the saga instead of
compensating it. A refund made in Woo admin (money already moved) skips
approval and money and books the credit note.
"""
from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities import refs
    from activities.contracts import CreateWooRefundInput, CreditNoteInput, OrderRef, RefundRef
    from canonical import events as ev
    from canonical.entities import Order, Refund
    from canonical.refunds import RefundNotAllowed, build_refund
    from workflows.options import call
    from workflows.order_types import erp_reference
    from workflows.refund_types import (Decision, RefundSagaInput, RefundStatus, refund_marker)
    from workflows.saga import Resolved, Saga
    from workflows.stages import Stage


@workflow.defn(name="RefundSaga")
class RefundSaga(Saga):
    def __init__(self) -> None:
        super().__init__()
        self._refund: Refund | None = None
        self._decision: str | None = None
        self._decided: Decision | None = None
        self._woo_refund_id: int | None = None
        self._credit_note: str | None = None
        self._finished = False

    # approval: updates with validators, and signals for tools that only signal -------
    @workflow.update
    async def approve(self, by: str) -> RefundStatus:
        self._decide("approved", Decision(by=by))
        return self.status()

    @approve.validator
    def _check_approve(self, by: str) -> None:
        self._check_decidable("approve")

    @workflow.update
    async def reject(self, decision: Decision) -> RefundStatus:
        self._decide("rejected", decision)
        return self.status()

    @reject.validator
    def _check_reject(self, decision: Decision) -> None:
        self._check_decidable("reject")

    @workflow.signal(name="approve_signal")
    def approve_signal(self, by: str) -> None:
        if self._decision is None and not self._finished:
            self._decide("approved", Decision(by=by))

    @workflow.signal(name="reject_signal")
    def reject_signal(self, decision: Decision) -> None:
        if self._decision is None and not self._finished:
            self._decide("rejected", decision)

    @workflow.signal
    def woo_refund_seen(self) -> None:
        """The start signal of a refund found in an order.updated delivery;
        repeats of the delivery land here and change nothing."""

    def _check_decidable(self, verb: str) -> None:
        if self._finished:
            raise ApplicationError(f"cannot {verb}: this refund is already {self._stage}")
        if self._decision is not None:
            raise ApplicationError(
                f"cannot {verb}: already {self._decision} by {self._decided.by}")
        if self._refund is None:
            raise ApplicationError(f"cannot {verb} yet: the refund is still being checked")

    def _decide(self, decision: str, by: Decision) -> None:
        self._decision, self._decided = decision, by

    @workflow.query
    def status(self) -> RefundStatus:
        return RefundStatus(
            workflow_id=workflow.info().workflow_id, stage=self._stage,
            amount=self._refund.amount if self._refund else None, decision=self._decision,
            decided_by=self._decided.by if self._decided else None,
            woo_refund_id=self._woo_refund_id, credit_note=self._credit_note,
            events=list(self._events), pending_action=self._pending_action,
            last_error=self._last_error)

    # the saga -------------------------------------------------------------------
    @workflow.run
    async def run(self, inp: RefundSagaInput) -> RefundStatus:
        self._inp = inp
        try:
            await self._refund_flow()
        except Resolved:
            self._set_stage(Stage.RESOLVED)
        self._finished = True
        return self.status()

    async def _refund_flow(self) -> None:
        inp = self._inp
        order = await self._attempt(Stage.CHECKING, self._get_order)
        try:
            refund = await self._attempt(Stage.CHECKING, lambda: self._requested_refund(order))
        except RefundNotAllowed as refused:
            return await self._refuse(str(refused))
        self._refund = refund
        await self._record(ev.RefundRequested, source=self._source, refund_ref=self._ref,
                           amount=refund.amount, requested_by=inp.requested_by)
        if not await self._approved():
            return
        if inp.origin != "woocommerce":
            await self._attempt(Stage.MOVING_MONEY, self._move_money)
        # From here on money has moved: nothing may undo or repeat it, so a
        # failure parks the saga with that fact in the reason.
        self._park_prefix = (f"money already refunded in WooCommerce "
                             f"(refund {self._woo_refund_id or inp.woo_refund_id}); ")
        await self._attempt(Stage.POSTING_CREDIT_NOTE, self._post_credit_note)
        for line in refund.lines:
            await self._record(ev.StockDisposed, key=line.line_id, sku=line.sku or "",
                               quantity=line.quantity, disposition=inp.disposition.value)
        left = order.remaining_refundable()
        if inp.origin != "woocommerce":  # the order was read before our money moved
            left = left - refund.amount
        await self._record(ev.RefundCompleted, refund_ref=self._ref, amount=refund.amount,
                           fully_refunded=left.is_zero())
        self._set_stage(Stage.COMPLETED)

    @property
    def _ref(self) -> str:
        return workflow.info().workflow_id

    @property
    def _source(self):
        return "woocommerce" if self._inp.origin == "woocommerce" else "support"

    async def _get_order(self) -> Order:
        return await call(refs.WOO_GET_ORDER, OrderRef(
            store=self._inp.store, woo_order_id=self._inp.woo_order_id),
            self._inp.policy.max_attempts)

    async def _requested_refund(self, order: Order) -> Refund:
        inp = self._inp
        if inp.origin == "woocommerce":
            return await call(refs.WOO_GET_REFUND, RefundRef(
                store=inp.store, woo_order_id=inp.woo_order_id,
                woo_refund_id=inp.woo_refund_id or 0), inp.policy.max_attempts)
        return build_refund(order, {l.line_id: l.quantity for l in inp.lines}, inp.amount,
                            inp.reason)

    async def _refuse(self, reason: str) -> None:
        """Refused before anything moved: record it and end."""
        self._last_error = reason
        self._decide("rejected", Decision(by="wooerp", reason=reason))
        await self._record(ev.RefundRejected, refund_ref=self._ref, rejected_by="wooerp",
                           reason=reason)
        self._set_stage(Stage.REJECTED)

    async def _approved(self) -> bool:
        inp, refund = self._inp, self._refund
        assert refund is not None
        if inp.origin == "woocommerce" or inp.preapproved or (
                refund.amount.amount < inp.policy.auto_approve_below):
            by = "woocommerce" if inp.origin == "woocommerce" else (
                inp.requested_by if inp.preapproved else "auto-approval")
            self._decide("approved", Decision(by=by))
        else:
            await self._await_decision()
        if self._decision == "rejected":
            await self._record(ev.RefundRejected, refund_ref=self._ref,
                               rejected_by=self._decided.by, reason=self._decided.reason)
            self._set_stage(Stage.REJECTED)
            return False
        await self._record(ev.RefundApproved, refund_ref=self._ref, approved_by=self._decided.by)
        return True

    async def _await_decision(self) -> None:
        self._set_stage(Stage.AWAITING_APPROVAL)
        self._pending_action = "approve or reject (wooerp refund approve|reject)"
        escalate = timedelta(seconds=self._inp.policy.escalate_after_seconds)
        try:
            await workflow.wait_condition(lambda: self._decision is not None, timeout=escalate)
        except TimeoutError:
            reason = f"refund undecided for {escalate}; approve or reject it"
            self._last_error = reason
            self._set_stage(Stage.NEEDS_ATTENTION, reason=reason)
            await workflow.wait_condition(lambda: self._decision is not None)
        self._pending_action = None

    async def _move_money(self) -> None:
        inp, refund = self._inp, self._refund
        assert refund is not None
        self._woo_refund_id = await call(
            refs.WOO_CREATE_REFUND, CreateWooRefundInput(
                store=inp.store, woo_order_id=inp.woo_order_id, refund_ref=self._ref,
                amount=refund.amount, lines=refund.lines, api_refund=True,
                restock=False,  # the ERP owns stock; it is pushed to Woo from there
                reason=f"{inp.reason} {refund_marker(self._ref)}".strip()),
            inp.policy.max_attempts)

    async def _post_credit_note(self) -> None:
        inp, refund = self._inp, self._refund
        assert refund is not None
        note = await call(refs.ERP_CREDIT_NOTE, CreditNoteInput(
            sale_external_ref=erp_reference(inp.store, inp.woo_order_id),
            refund_ref=self._ref, refund=refund, restock=inp.disposition == "restock"),
            inp.policy.max_attempts)
        self._credit_note = note.number
        await self._record(ev.CreditNotePosted, source="erp", refund_ref=self._ref,
                           credit_note=note.number, amount=refund.amount)
