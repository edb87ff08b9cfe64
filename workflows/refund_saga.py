"""RefundSaga: return-to-refund for one refund of one order.

requested → approved (support, or automatically) → money (Woo refund with
api_refund) → ERP credit note → stock disposition → completed.

Money never moves twice: the Woo refund is created once, looked up by its
reference on a retry, and a failure after it moved parks the saga instead of
compensating it. A refund made in Woo admin (money already moved) skips
approval and money and books the credit note.

Gateways that cannot refund by themselves (bank transfer, cheque, cash on
delivery: the policy's `manual_gateways`, or any gateway that refuses) get
the refund recorded in Woo without moving money (api_refund=false), the
credit note all the same, and then a pending action: support returns the
money by hand and confirms it (`money_sent`), which completes the refund.
A gateway's refusal is a business verdict: it is never retried as it was.
"""
from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities import refs
    from activities.contracts import CreateWooRefundInput, CreditNoteInput, OrderRef, RefundRef
    from canonical import events as ev
    from canonical.entities import Order, Refund
    from canonical.errors import ErrorType
    from canonical.refunds import RefundNotAllowed, build_refund, tax_on_refunded_units
    from workflows.options import call
    from workflows.order_types import erp_reference
    from workflows.refund_types import (Decision, MoneySent, RefundSagaInput, RefundStatus,
                                        refund_marker)
    from workflows.saga import Resolved, Saga, describe, error_type
    from workflows.stages import Stage

# Sagas started before these patches always sent api_refund=true (and parked
# when the gateway could not refund), and recorded no tax variance; they
# replay as they ran.
MANUAL_REFUNDS = "manual-gateway-refunds"
TAX_VARIANCE = "refund-tax-variance"


@workflow.defn(name="RefundSaga")
class RefundSaga(Saga):
    def __init__(self) -> None:
        super().__init__()
        self._refund: Refund | None = None
        self._decision: str | None = None
        self._decided: Decision | None = None
        self._woo_refund_id: int | None = None
        self._credit_note: str | None = None
        self._credit_note_total = None  # Money, as the ERP booked it (negative)
        self._finished = False
        self._by_hand: str | None = None  # why the money goes back by hand, once it does
        self._money_sent: MoneySent | None = None

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

    # money returned by hand: support confirms it was sent ----------------------
    @workflow.update
    async def money_sent(self, sent: MoneySent) -> RefundStatus:
        self._money_sent = sent
        return self.status()

    @money_sent.validator
    def _check_money_sent(self, sent: MoneySent) -> None:
        if self._finished:
            raise ApplicationError(f"cannot confirm: this refund is already {self._stage}")
        if self._money_sent is not None:
            raise ApplicationError(f"cannot confirm: already confirmed by {self._money_sent.by}")
        if self._by_hand is None:
            inp = getattr(self, "_inp", None)  # an update may come before run() starts
            from_store = inp is not None and inp.origin == "woocommerce"
            if self._woo_refund_id is not None or from_store:
                raise ApplicationError("cannot confirm: this refund's money goes back through "
                                       "the payment gateway, not by hand")
            raise ApplicationError(f"cannot confirm yet: the refund is {self._stage}, "
                                   "not recorded in the store")

    @workflow.signal(name="money_sent_signal")
    def money_sent_signal(self, sent: MoneySent) -> None:
        if self._by_hand is not None and self._money_sent is None and not self._finished:
            self._money_sent = sent

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
            last_error=self._last_error,
            money_back=None if self._woo_refund_id is None and self._by_hand is None
            else "by_hand" if self._by_hand is not None else "gateway",
            money_sent_by=self._money_sent.by if self._money_sent else None)

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
            await self._attempt(Stage.MOVING_MONEY, lambda: self._move_money(order))
        # From here on money has moved (or its refund is recorded in the store,
        # to be paid by hand): nothing may undo or repeat it, so a failure
        # parks the saga with that fact in the reason.
        woo_refund = self._woo_refund_id or inp.woo_refund_id
        self._park_prefix = (
            f"refund {woo_refund} recorded in WooCommerce, its money to be returned by hand; "
            if self._by_hand is not None else
            f"money already refunded in WooCommerce (refund {woo_refund}); ")
        await self._attempt(Stage.POSTING_CREDIT_NOTE, self._post_credit_note)
        if workflow.patched(TAX_VARIANCE):
            await self._record_tax_variance(order)
        for line in refund.lines:
            await self._record(ev.StockDisposed, key=line.line_id, sku=line.sku or "",
                               quantity=line.quantity, disposition=inp.disposition.value)
        if self._by_hand is not None:
            await self._await_money_sent(order)
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

    async def _move_money(self, order: Order) -> None:
        """The refund in the store: through the gateway, or recorded only
        (api_refund=false) when the money must go back by hand."""
        inp, policy = self._inp, self._inp.policy
        if not workflow.patched(MANUAL_REFUNDS):
            self._woo_refund_id = await self._woo_refund(api_refund=True)
            return
        gateway = order.payment_method or "(none)"
        if self._by_hand is None and order.payment_method in policy.manual_gateways:
            self._by_hand = f"{gateway} is a manual payment method (refunds.manual_gateways)"
        if self._by_hand is None:
            try:
                self._woo_refund_id = await self._woo_refund(api_refund=True)
                return
            except ActivityError as err:
                if (error_type(err) != ErrorType.WOO_GATEWAY_REFUSED
                        or policy.on_gateway_refusal != "return_by_hand"):
                    raise  # parks: a refusal is not retried as it was
                # Nothing was saved in the store (WooCommerce deletes the
                # refund its gateway refused): record it without the gateway.
                self._by_hand = f"the {gateway} gateway refused: {describe(err)}"
        self._woo_refund_id = await self._woo_refund(api_refund=False)
        await self._record(ev.ManualRefundRequired, refund_ref=self._ref,
                           amount=self._refund.amount, payment_method=order.payment_method,
                           why=self._by_hand)

    async def _woo_refund(self, *, api_refund: bool) -> int:
        inp, refund = self._inp, self._refund
        assert refund is not None
        by_hand = "" if api_refund else " (money returned by hand)"
        return await call(
            refs.WOO_CREATE_REFUND, CreateWooRefundInput(
                store=inp.store, woo_order_id=inp.woo_order_id, refund_ref=self._ref,
                amount=refund.amount, lines=refund.lines, api_refund=api_refund,
                restock=False,  # the ERP owns stock; it is pushed to Woo from there
                reason=f"{inp.reason}{by_hand} {refund_marker(self._ref)}".strip()),
            inp.policy.max_attempts)

    async def _await_money_sent(self, order: Order) -> None:
        """Booked and recorded; the customer has the money only once a person
        sends it. Waits (durably, as long as it takes) for support's word."""
        assert self._refund is not None
        amount = self._refund.amount
        self._set_stage(Stage.AWAITING_MANUAL_REFUND)
        self._pending_action = (
            f"return {amount} to the customer by hand ({order.payment_method or 'no gateway'}), "
            f"then confirm: wooerp refund money-sent {self._ref} --by NAME")
        escalate = timedelta(seconds=self._inp.policy.escalate_after_seconds)
        try:
            await workflow.wait_condition(lambda: self._money_sent is not None, timeout=escalate)
        except TimeoutError:
            reason = (f"the money of this refund ({amount}) is to be returned by hand and "
                      f"nobody confirmed it within {escalate}; send it, then confirm")
            self._last_error = reason
            self._set_stage(Stage.NEEDS_ATTENTION, reason=reason)
            await workflow.wait_condition(lambda: self._money_sent is not None)
            self._last_error = None
        self._pending_action = None
        sent = self._money_sent
        assert sent is not None
        await self._record(ev.ManualRefundSent, source="support", refund_ref=self._ref,
                           amount=amount, sent_by=sent.by, note=sent.note)

    async def _record_tax_variance(self, order: Order) -> None:
        """A refund that gives back less (or more) tax than the order charged on
        the same goods is the store's deliberate choice: booked as refunded,
        and the difference recorded as a fact finance can see."""
        refund = self._refund
        assert refund is not None
        charged, refunded, skus = tax_on_refunded_units(order, refund)
        assert self._credit_note_total is not None  # set by _post_credit_note
        booked_difference = -self._credit_note_total - refund.amount
        if charged == refunded and booked_difference.is_zero():
            return
        await self._record(ev.RefundTaxVariance, refund_ref=self._ref, charged_tax=charged,
                           refunded_tax=refunded, tax_kept=charged - refunded,
                           credit_note=self._credit_note or "", skus=skus,
                           booked_difference=booked_difference)

    async def _post_credit_note(self) -> None:
        inp, refund = self._inp, self._refund
        assert refund is not None
        note = await call(refs.ERP_CREDIT_NOTE, CreditNoteInput(
            sale_external_ref=erp_reference(inp.store, inp.woo_order_id),
            refund_ref=self._ref, refund=refund, restock=inp.disposition == "restock"),
            inp.policy.max_attempts)
        self._credit_note, self._credit_note_total = note.number, note.total
        await self._record(ev.CreditNotePosted, source="erp", refund_ref=self._ref,
                           credit_note=note.number, amount=refund.amount)
