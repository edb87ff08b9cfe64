"""Zero-latency in-process stand-ins for the store, the ERP and the ledger:
activities registered under the product's activity names, for workflow
tests and the engine-overhead benchmark (bench/overhead.py). The product's
own saga tests use the real pieces (tests/e2e); these only exercise
workflow logic."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import refs
from activities.contracts import (AcceptOrderInput, CancelWooOrderInput, CreateWooRefundInput,
                                  CreditNoteInput, MarkShippedInput, OrderRef, RefundRef,
                                  ValidateOrderInput, ValidationReport, WriteBackInput)
from canonical.entities import Address, Customer, Order, OrderLine, Refund
from canonical.erp import CreditNote, ErpSale, Invoice, Shipment
from canonical.errors import ErrorType
from canonical.events import AnyEvent
from canonical.money import Money


def usd(x) -> Money:
    return Money.of(x, "USD")


def sample_order(woo_id: int, *, sku: str = "WOO-MUG", status: str = "processing",
                 modified: datetime | None = None, store: str = "default",
                 payment_method: str = "") -> Order:
    t = modified or datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)
    line = OrderLine(line_id=woo_id * 10, sku=sku, name=sku, quantity=2, subtotal=usd("25.00"),
                     subtotal_tax=usd("2.50"), total=usd("25.00"), total_tax=usd("2.50"))
    paid = status in ("processing", "completed")
    return Order(store=store, woo_id=woo_id, number=str(woo_id), woo_status=status,
                 currency="USD", customer=Customer(email=f"c{woo_id}@example.com"),
                 billing=Address(first_name="Ada"), lines=[line], discount_total=usd(0),
                 discount_tax=usd(0), shipping_total=usd(0), shipping_tax=usd(0),
                 cart_tax=usd("2.50"), total=usd("27.50"), total_tax=usd("2.50"),
                 date_created=t, date_modified=t, date_paid=t if paid else None,
                 payment_method=payment_method)


@dataclass
class FakeWorld:
    known_skus: set[str] = field(default_factory=lambda: {"WOO-MUG", "WOO-HOODIE"})
    sales: dict[str, ErpSale] = field(default_factory=dict)
    cancelled: set[str] = field(default_factory=set)
    ship_immediately: bool = True
    events: list[AnyEvent] = field(default_factory=list)
    woo_calls: list[str] = field(default_factory=list)
    orders: dict[int, Order] = field(default_factory=dict)
    credit_note_fails: bool = False
    erp_rejects: str | None = None  # the ERP's UserError message for every new sale
    erp_down_for: int = 0  # the next N sale requests fail as an unreachable ERP does
    credit_notes: dict[str, CreditNote] = field(default_factory=dict)
    sale_reads: int = 0
    order_reads: int = 0
    # As a real store: these gateways cannot refund by themselves, and a gateway
    # id starting with "uninstalled_" has no plugin; api_refund=true is refused.
    manual_gateways: set[str] = field(default_factory=lambda: {"bacs", "cheque", "cod"})
    refund_attempts: list[tuple[int, bool]] = field(default_factory=list)  # (order, api_refund)

    def order(self, woo_id: int) -> Order:
        return self.orders.setdefault(woo_id, sample_order(woo_id))

    def activities(self) -> dict[str, list]:
        w = self

        @activity.defn(name=refs.ERP_VALIDATE_ORDER.name)
        async def validate(inp: ValidateOrderInput) -> ValidationReport:
            missing = [l.sku for l in inp.order.lines if l.sku not in w.known_skus]
            return ValidationReport(erp_party_id=1, problems=[f"unknown SKU {s}" for s in missing])

        @activity.defn(name=refs.ERP_ACCEPT_ORDER.name)
        async def accept(inp: AcceptOrderInput) -> ErpSale:
            if w.erp_down_for > 0:
                w.erp_down_for -= 1
                raise ApplicationError("ERP unreachable: connection refused",
                                       type=ErrorType.ERP_RETRYABLE)
            if w.erp_rejects:
                raise ApplicationError(w.erp_rejects, type=ErrorType.ERP_REJECTED,
                                       non_retryable=True)
            sale = w.sales.get(inp.external_ref) or ErpSale(
                external_ref=inp.external_ref, erp_id=len(w.sales) + 1,
                number=f"SO{len(w.sales) + 1}", state="processing", total=inp.order.total)
            w.sales[inp.external_ref] = sale
            return sale

        @activity.defn(name=refs.ERP_GET_SALE.name)
        async def get_sale(ref: str) -> ErpSale:
            w.sale_reads += 1
            sale = w.sales[ref]
            if w.ship_immediately and ref not in w.cancelled:
                sale = sale.model_copy(update={
                    "shipments": [Shipment(erp_id=1, state="done")],
                    "invoices": [Invoice(erp_id=1, number="INV1", state="posted",
                                             total=sale.total)]})
            return sale

        @activity.defn(name=refs.ERP_CANCEL_SALE.name)
        async def cancel_sale(ref: str) -> None:
            w.cancelled.add(ref)

        @activity.defn(name=refs.ERP_CREDIT_NOTE.name)
        async def credit_note(inp: CreditNoteInput) -> CreditNote:
            if w.credit_note_fails:
                raise ApplicationError("credit note refused", type=ErrorType.ERP_REJECTED,
                                       non_retryable=True)
            note = w.credit_notes.get(inp.refund_ref) or CreditNote(
                refund_ref=inp.refund_ref, number=f"CN{len(w.credit_notes) + 1}",
                state="posted", total=-inp.refund.amount)
            w.credit_notes[inp.refund_ref] = note
            return note

        @activity.defn(name=refs.WOO_GET_ORDER.name)
        async def get_order(ref: OrderRef) -> Order:
            w.order_reads += 1
            return w.order(ref.woo_order_id)

        @activity.defn(name=refs.WOO_GET_REFUND.name)
        async def get_refund(ref: RefundRef) -> Refund:
            return next(r for r in w.order(ref.woo_order_id).refunds
                        if r.woo_id == ref.woo_refund_id)

        @activity.defn(name=refs.WOO_WRITE_ERP_DOCUMENT.name)
        async def write_back(inp: WriteBackInput) -> None:
            w.woo_calls.append(f"write_back:{inp.woo_order_id}:{inp.erp_document}")

        @activity.defn(name=refs.WOO_MARK_SHIPPED.name)
        async def mark_shipped(inp: MarkShippedInput) -> Order:
            w.woo_calls.append(f"completed:{inp.woo_order_id}")
            order = w.order(inp.woo_order_id)
            later = order.date_modified + timedelta(seconds=1)  # the store's answer is newer
            done = order.model_copy(update={"woo_status": "completed", "date_modified": later})
            w.orders[inp.woo_order_id] = done
            return done

        @activity.defn(name=refs.WOO_CANCEL_ORDER.name)
        async def cancel_order(inp: CancelWooOrderInput) -> None:
            w.woo_calls.append(f"cancelled:{inp.woo_order_id}")

        @activity.defn(name=refs.WOO_CREATE_REFUND.name)
        async def create_refund(inp: CreateWooRefundInput) -> int:
            order = w.order(inp.woo_order_id)
            for r in order.refunds:  # idempotent by the reference in the reason
                if inp.refund_ref in r.reason:
                    return r.woo_id or 0
            w.refund_attempts.append((inp.woo_order_id, inp.api_refund))
            if inp.api_refund and (order.payment_method in w.manual_gateways
                                   or order.payment_method.startswith("uninstalled_")):
                message = ("The payment gateway for this order does not exist."
                           if order.payment_method.startswith("uninstalled_") else
                           "The payment gateway for this order does not support automatic "
                           "refunds.")
                raise ApplicationError(f"500 woocommerce_rest_cannot_create_order_refund: "
                                       f"{message}", type=ErrorType.WOO_GATEWAY_REFUSED,
                                       non_retryable=True)
            w.woo_calls.append(f"refund:{inp.woo_order_id}:{inp.amount.amount}")
            refund = Refund(woo_id=len(order.refunds) + 100, order_woo_id=order.woo_id,
                            amount=inp.amount, reason=inp.reason, lines=inp.lines,
                            refunded_payment=inp.api_refund)
            w.orders[order.woo_id] = order.model_copy(update={"refunds": [*order.refunds, refund]})
            return refund.woo_id

        @activity.defn(name=refs.LEDGER_RECORD_EVENT.name)
        async def record_event(event: AnyEvent) -> bool:
            new = all(e.event_id != event.event_id for e in w.events)
            if new:
                w.events.append(event)
            return new

        return {"erp": [validate, accept, get_sale, cancel_sale, credit_note],
                "woocommerce": [write_back, mark_shipped, cancel_order, create_refund,
                                get_order, get_refund],
                "ledger": [record_event]}


def local_activities(activities: dict[str, list]) -> list:
    """The ones a workflow runs as local activities: its own worker must hold them."""
    return [fn for fns in activities.values() for fn in fns
            if fn.__temporal_activity_definition.name in refs.LOCAL]
