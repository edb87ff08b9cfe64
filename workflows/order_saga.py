"""OrderSaga: order-to-cash for one WooCommerce order.

capture → payment → validate → ERP accept → write the ERP number back →
shipment → tracking + `completed` in Woo → invoice posted → closed.
A cancellation in Woo before shipment cancels the ERP sale (compensation);
an order moved to the trash holds the saga until it is restored (trash.py).
"""
from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities import refs
    from activities.contracts import (AcceptOrderInput, MarkShippedInput, ValidateOrderInput,
                                      ValidationReport, WriteBackInput)
    from canonical import events as ev
    from canonical.entities import Order, WooOrderStatus
    from canonical.erp import ErpSale
    from canonical.errors import ErrorType
    from canonical.events import BusinessEvent
    from canonical.money import Money
    from canonical.status import OrderStatus, advance
    from workflows import search
    from workflows.compensation import OrderCompensation
    from workflows.options import call
    from workflows.backfill_types import SagaSettled
    from workflows.order_types import OrderSagaInput, SagaStatus, erp_reference
    from workflows.saga import Interrupted, Resolved, describe, error_type
    from workflows.stages import Stage
    from workflows.trash import TrashGuard


# Sagas started before this patch re-read the sale as soon as they began to
# wait for the shipment and on every store update, and published the order's
# facts and the ERP document in upserts of their own; they replay as they ran.
LEANER = "fewer-erp-reads-awaiting-shipment"
# Payloads are built when a delivery runs, so an order.updated can carry the
# trash status before (or instead of) order.deleted arrives; runs from before
# this patch cancelled the ERP sale on it, they replay as they ran.
TRASH_HOLDS = "trash-payload-holds-not-cancels"


# WooCommerce takes stock off the shelf in these statuses (CONTRACT.md 4.1).
STOCK_HELD = (WooOrderStatus.PROCESSING, WooOrderStatus.ON_HOLD, WooOrderStatus.COMPLETED)
FINISHED = (Stage.CLOSED, Stage.CANCELLED, Stage.RESOLVED, Stage.REJECTED, Stage.CANCELLING)


@workflow.defn(name="OrderSaga")
class OrderSaga(OrderCompensation, TrashGuard):
    def __init__(self) -> None:
        super().__init__()
        self._status: OrderStatus | None = None
        self._erp_document: str | None = None
        self._erp_total: Money | None = None
        self._poke = False
        self._lean = False  # set at the start of the run: workflow.patched(LEANER)
        self._settled = False  # the backfill that started this saga was told

    # signals, queries ---------------------------------------------------------
    @workflow.signal
    def woo_order_updated(self, order: Order) -> None:
        """Keep the newest payload: webhooks arrive unordered and repeated."""
        previous = self._order
        self._take(order)
        if self._trash_holds and self._current.woo_status == WooOrderStatus.TRASH:
            self._trash_reported = True  # as if order.deleted had come: ask the store
        # Re-poll the ERP only when the store's status moved. Our own write-back
        # (meta + note) echoes back as order.updated with nothing changed, and
        # re-reading the sale for it cost the ERP a read per order (bench/).
        moved = previous is None or order.woo_status != previous.woo_status
        if moved or not workflow.patched(LEANER):
            self._poke = True

    @workflow.signal
    def woo_order_trashed(self) -> None:
        """order.deleted: moved to the store's trash, from where it may come back."""
        self._trash_reported = True
        self._poke = True

    @workflow.signal
    def erp_updated(self) -> None:
        """A hint that the ERP moved (shipment, invoice): poll now, not later."""
        self._poke = True

    @workflow.query
    def status(self) -> SagaStatus:
        o = self._order
        return SagaStatus(
            workflow_id=workflow.info().workflow_id, stage=self._stage,
            order_status=self._status.value if self._status else None,
            woo_status=o.woo_status if o else None, erp_document=self._erp_document,
            total=o.total if o else None, erp_total=self._erp_total, events=list(self._events),
            pending_action=self._pending_action, last_error=self._last_error)

    @workflow.query
    def store_holds(self) -> dict[str, int]:
        """Units the store took off its shelf for this order that the ERP has
        not booked yet: the inventory sync subtracts them from what the ERP
        can sell, so a push never undoes the store's own decrement. Empty
        once the ERP accepted the sale (its reservation counts instead), and
        while the store holds no stock for it (unpaid, cancelled)."""
        o = self._order
        if (o is None or self._erp_document is not None
                or o.woo_status not in STOCK_HELD or self._stage in FINISHED):
            return {}
        held: dict[str, int] = {}
        for line in o.lines:
            if line.sku:
                held[line.sku] = held.get(line.sku, 0) + line.quantity
        return held

    # the saga -----------------------------------------------------------------
    @workflow.run
    async def run(self, inp: OrderSagaInput) -> SagaStatus:
        self._inp, self._policy = inp, inp.policy
        await workflow.wait_condition(lambda: self._order is not None)
        try:
            await self._order_to_cash()
        except Resolved as done:
            self._last_error = None
            if self._stage != Stage.CANCELLED:
                self._set_stage(Stage.RESOLVED)
            workflow.logger.info("order saga resolved by a person: %s", done)
        await self._settle("cancelled" if self._stage == Stage.CANCELLED else "resolved")
        return self.status()

    # historical orders (handed over by a backfill) -------------------------------
    # Every command below runs only for `historical` inputs, which no saga had
    # before the backfill existed: older histories replay without a patch.
    @property
    def _historical(self) -> bool:
        return bool(self._inp and self._inp.historical)

    async def _settle(self, outcome: str, reason: str = "", refunds: int = 0) -> None:
        """Free this saga's slot in its backfill's window, once."""
        inp = self._inp
        if self._settled or inp is None or not inp.backfill_id:
            return
        self._settled = True
        try:
            await workflow.get_external_workflow_handle(inp.backfill_id).signal(
                "saga_settled", SagaSettled(woo_id=inp.woo_order_id, outcome=outcome,
                                            reason=reason[:300], refunds=refunds))
        except Exception as err:  # noqa: BLE001 - the backfill ended (cancelled): nobody to tell
            workflow.logger.info("backfill %s not told: %s", inp.backfill_id, err)

    async def _on_parked(self, reason: str) -> None:
        await self._settle("parked", reason)

    def _shipped_long_ago(self) -> bool:
        """A historical order the store finished (completed or refunded) was
        settled years ago: its saga does not wait for the warehouse; a refund's
        goods come back through its RefundSaga's credit note."""
        o = self._current
        return self._historical and (
            o.woo_status in (WooOrderStatus.COMPLETED, WooOrderStatus.REFUNDED)
            or o.date_completed is not None)

    async def _order_to_cash(self) -> None:
        order = self._current
        self._lean = workflow.patched(LEANER)
        self._trash_holds = workflow.patched(TRASH_HOLDS)
        if self._trash_holds and order.woo_status == WooOrderStatus.TRASH:
            self._trash_reported = True
        facts = [search.WOO_STORE.value_set(order.store),
                 search.WOO_ORDER_ID.value_set(order.woo_id),
                 search.ORDER_TOTAL.value_set(float(order.total.amount))]
        if self._lean:  # published with the first stage, a moment later
            self._search_pending += facts
        else:
            workflow.upsert_search_attributes(facts)
        await self._record(ev.OrderCaptured, source="woocommerce",
                           occurred_at=order.date_created, store=order.store,
                           woo_order_id=order.woo_id, total=order.total)
        if not await self._await_payment():
            return await self._cancel_before_erp()
        try:
            report = await self._attempt(Stage.VALIDATING, self._validate, self._cancelled)
            sale = await self._attempt(Stage.AWAITING_ERP, lambda: self._accept(report),
                                       self._cancelled)
        except Interrupted:
            return await self._cancel_before_erp()
        if self._cancelled():  # cancelled while the ERP was accepting
            return await self._cancel_erp_sale()
        if self._historical:  # the store's history is left as it is: no write-back
            # The store's refunds become credit notes, which need the sale: now.
            refunds = await call(refs.SAGAS_START_REFUNDS, self._current,
                                 self._policy.max_attempts)
            await self._settle("booked", refunds=refunds)
            if self._shipped_long_ago():
                await self._ship_historical(sale)
                return await self._await_invoice()
        else:
            await self._hold_while_trashed(Stage.WRITING_BACK)
            await self._attempt(Stage.WRITING_BACK, lambda: self._write_back(sale))
        # The sale as the ERP confirmed it moments ago is the first look at the
        # shipment: reading it again would only load the ERP while it accepts.
        seen = sale if self._lean else None
        shipped = await self._await_sale(Stage.AWAITING_SHIPMENT, lambda s: s.shipped,
                                         cancellable=True, seen=seen)
        if shipped is None:
            return await self._cancel_erp_sale()
        await self._ship(shipped)
        await self._await_invoice()

    async def _ship_historical(self, sale: ErpSale) -> None:
        o = self._current
        await self._record(ev.ShipmentConfirmed, source="woocommerce",
                           occurred_at=o.date_completed or o.date_modified,
                           erp_shipment_id=sale.shipment.erp_id if sale.shipment else 0,
                           tracking_number=None)

    async def _await_invoice(self) -> None:
        invoiced = await self._await_sale(Stage.AWAITING_INVOICE, lambda s: s.invoiced)
        invoice = invoiced.invoice
        assert invoice is not None
        await self._record(ev.InvoicePosted, source="erp", invoice_number=invoice.number or "",
                           total=invoice.total)
        await self._record(ev.OrderClosed)
        self._set_stage(Stage.CLOSED)

    # steps ----------------------------------------------------------------------
    async def _await_payment(self) -> bool:
        """True once paid, False if the store cancelled it first."""
        if not (self._lean and self._current.is_paid):  # no stage that is never waited in
            self._set_stage(Stage.AWAITING_PAYMENT)
        while True:
            self._pending_action = "waiting for the payment to be captured in WooCommerce"
            await workflow.wait_condition(
                lambda: self._current.is_paid or self._cancelled() or self._trash_reported)
            self._pending_action = None
            if not self._trash_reported:
                break
            await self._hold_while_trashed(Stage.AWAITING_PAYMENT)
        if self._cancelled():
            return False
        o = self._current
        await self._record(ev.PaymentAuthorized, source="woocommerce",
                           occurred_at=o.date_paid or o.date_modified, amount=o.total,
                           payment_method=o.payment_method, transaction_id=o.transaction_id)
        return True

    async def _validate(self) -> ValidationReport:
        order = self._current
        report = await call(refs.ERP_VALIDATE_ORDER, ValidateOrderInput(
            order=order, total_tolerance=Money.of(self._policy.total_tolerance, order.currency),
            check_stock=not self._historical),
            self._policy.max_attempts)
        if not report.ok:
            reason = "; ".join(report.problems)
            await self._record(ev.OrderRejected, key=workflow.uuid4().hex[:8], reason=reason)
            raise ApplicationError(reason, type=ErrorType.VALIDATION_FAILED)
        await self._record(ev.OrderValidated, erp_party_id=report.erp_party_id or 0)
        return report

    async def _accept(self, report: ValidationReport) -> ErpSale:
        order = self._current
        try:
            sale = await call(refs.ERP_ACCEPT_ORDER, AcceptOrderInput(
                order=order, erp_party_id=report.erp_party_id or 0,
                external_ref=erp_reference(order.store, order.woo_id)),
                self._policy.max_attempts)
        except ActivityError as err:
            if error_type(err) in ErrorType.erp_rejections():
                await self._record(ev.OrderRejected, source="erp", reason=describe(err),
                                   key=workflow.uuid4().hex[:8])
                if self._policy.on_erp_rejection == "cancel_and_refund":
                    await self._reject_in_store(describe(err))
                    raise Resolved("cancelled and refunded by policy") from err
            raise
        self._erp_document, self._erp_total = sale.document, sale.total
        document = search.ERP_DOCUMENT.value_set(sale.document)
        if self._lean:  # published with the next stage (writing back, or cancelling)
            self._search_pending.append(document)
        else:
            workflow.upsert_search_attributes([document])
        await self._record(ev.OrderAccepted, source="erp", erp_document=sale.document,
                           erp_total=sale.total)
        return sale

    async def _write_back(self, sale: ErpSale) -> None:
        o = self._current
        await call(refs.WOO_WRITE_ERP_DOCUMENT, WriteBackInput(
            store=o.store, woo_order_id=o.woo_id, erp_document=sale.document),
            self._policy.max_attempts)

    async def _get_sale(self) -> ErpSale:
        o = self._current
        return await call(refs.ERP_GET_SALE, erp_reference(o.store, o.woo_id),
                          self._policy.max_attempts)

    async def _await_sale(self, stage: Stage, done, cancellable: bool = False,
                          seen: ErpSale | None = None) -> ErpSale | None:
        """Poll the ERP on a backing-off durable timer (or when poked) until `done`;
        `seen` is a view of the sale just read, taken as the first poll."""
        delay = self._policy.poll_initial_seconds
        while True:
            if seen is None:
                sale = await self._attempt(stage, self._get_sale)
            else:
                self._set_stage(stage)
                sale, seen = seen, None
            if done(sale):
                return sale
            if cancellable and self._cancelled():
                return None
            self._poke = False
            try:
                await workflow.wait_condition(
                    lambda: self._poke or (cancellable and self._cancelled()),
                    timeout=timedelta(seconds=delay))
            except asyncio.TimeoutError:
                pass
            delay = min(delay * 2, self._policy.poll_max_seconds)
            if cancellable:  # until shipped, a trashed order must not go on unseen
                await self._hold_while_trashed(stage)

    async def _ship(self, sale: ErpSale) -> None:
        shipment = sale.shipment
        assert shipment is not None
        await self._record(ev.ShipmentConfirmed, source="erp", erp_shipment_id=shipment.erp_id,
                           tracking_number=shipment.tracking_number)
        o = self._current
        answer = await self._attempt(Stage.UPDATING_STORE, lambda: call(
            refs.WOO_MARK_SHIPPED,
            MarkShippedInput(store=o.store, woo_order_id=o.woo_id, erp_document=sale.document,
                             tracking_number=shipment.tracking_number),
            self._policy.max_attempts))
        # The store's answer to our own `completed`: the status query shows what
        # the store now says, without waiting for (or missing) the webhook echo.
        # None in histories recorded before the activity answered with the order.
        if answer is not None:
            self._take(answer)

    def _on_event(self, event: BusinessEvent) -> None:
        self._status = advance(self._status, event.type,
                               fully_refunded=getattr(event, "fully_refunded", False))
