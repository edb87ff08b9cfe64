"""The compare: one order at a time, both sides, every difference a cause.

    day = DayCompare("default", business_day(date(2026, 11, 30), "Europe/Paris"), now)
    for order in store_orders:            # streamed
        day.add(order=order, erp=erp_by_id.get(order.woo_id), sagas=..., facts=...)
    reports = day.reports()               # one per currency

Per order, the commerce amount is the store total less refunds (0 for an
order that is no demand: cancelled, failed, trashed) and the ERP amount the
sale total less its credit notes (0 for a sale called off). An order present
on one side only is one `order` variance; an order both sides have is
compared per component (items, shipping, fees, tax, adjustment, refunds),
whose differences add up to the order's. So the day's variances add up
exactly to its difference, by construction, and DayReport checks it again.

Stage names are the sagas' own (workflows/stages.py: Stage); a unit test
keeps the sets below inside that enum.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Sequence

from canonical.money import Money, quantum
from canonical.reconcile.causes import Cause, Component
from canonical.reconcile.report import SIDES, DayReport, State, StateTally, Tally, Variance
from canonical.reconcile.snapshots import (ZERO, ErpDocument, LedgerFacts, Recovery, SagaState,
                                           StoreOrder)
from canonical.reconcile.window import Day

NEEDS_ATTENTION = "needs_attention"
AWAITING_PAYMENT = "awaiting_payment"
# Order saga stages before the ERP has accepted the sale.
BEFORE_ERP = frozenset({"starting", AWAITING_PAYMENT, "validating", "awaiting_erp"})
ENDED_CANCELLED = "cancelled"
ENDED_BOOKED = frozenset({"closed", "resolved"})
COMPLETED = "completed"  # store status of a shipped order

Verdict = tuple[Cause, str]


def age(since: datetime | None, now: datetime) -> str:
    if since is None:
        return "an unknown time"
    seconds = max(0, int((now - since).total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m {secs}s" if minutes else f"{secs}s"


@dataclass
class _Side:
    count: int = 0
    amount: Decimal = ZERO

    def add(self, count: int, amount: Decimal) -> None:
        self.count += count
        self.amount += amount


@dataclass
class _Totals:
    """Running sums of one currency."""

    orders: int = 0
    commerce: Decimal = ZERO
    erp: Decimal = ZERO
    commerce_states: dict[State, _Side] = field(
        default_factory=lambda: {s: _Side() for s in State})
    erp_states: dict[State, _Side] = field(default_factory=lambda: {s: _Side() for s in State})
    variances: list[Variance] = field(default_factory=list)


class DayCompare:
    def __init__(self, store: str, day: Day, now: datetime) -> None:
        self.store, self.day, self.now = store, day, now
        self._totals: dict[str, _Totals] = {}

    # input ------------------------------------------------------------------------
    def add(self, *, order: StoreOrder | None = None, erp: ErpDocument | None = None,
            sagas: Sequence[SagaState] = (), facts: LedgerFacts | None = None,
            recovery: Recovery | None = None, gone: bool = False) -> list[Variance]:
        """Compare one order. `gone`: the store answered that the order does not exist."""
        if order is None and erp is None:
            return []
        saga = next((s for s in sagas if s.kind == "order"), None)
        refunds = [s for s in sagas if s.kind == "refund"]
        currency = order.currency if order is not None else erp.currency  # type: ignore[union-attr]
        self._sums(currency).orders += 1
        if order is not None:
            self._commerce(order)
        if erp is not None:
            self._erp(erp)
        found = self._variances(order, erp, saga, refunds, facts, recovery, gone)
        for v in found:
            self._sums(v.difference.currency).variances.append(v)
        return found

    def reports(self) -> list[DayReport]:
        out = []
        for currency, t in sorted(self._totals.items()):
            def tally(side: _Side) -> Tally:
                return Tally(count=side.count, amount=Money.of(side.amount, currency))
            states = {s: StateTally(commerce=tally(t.commerce_states[s]) if SIDES[s][0] else None,
                                    erp=tally(t.erp_states[s]) if SIDES[s][1] else None)
                      for s in State}
            out.append(DayReport(
                store=self.store, business_day=self.day.day, currency=currency,
                orders_compared=t.orders, states=states,
                commerce=Money.of(t.commerce, currency), erp=Money.of(t.erp, currency),
                difference=Money.of(t.commerce - t.erp, currency), variances=t.variances))
        return out

    # sums -----------------------------------------------------------------------------
    def _sums(self, currency: str) -> _Totals:
        if currency not in self._totals:
            self._totals[currency] = _Totals()
        return self._totals[currency]

    def _commerce(self, o: StoreOrder) -> None:
        t = self._sums(o.currency)
        if not o.demand:
            return
        t.commerce += o.net
        states = t.commerce_states
        if o.paid:
            states[State.CAPTURED].add(1, o.total)
        if o.erp_document:
            states[State.ACCEPTED].add(1, o.total)
        if o.status == COMPLETED:
            states[State.FULFILLED].add(1, o.total)
        states[State.REFUNDED].add(o.refunds, o.refunded)

    def _erp(self, e: ErpDocument) -> None:
        t = self._sums(e.currency)
        if not e.live:
            return
        t.erp += e.net
        states = t.erp_states
        if e.accepted:
            states[State.ACCEPTED].add(1, e.total)
        if e.shipped:
            states[State.FULFILLED].add(1, e.total)
        states[State.INVOICED].add(e.invoices, e.invoiced)
        states[State.REFUNDED].add(e.credit_notes, e.credited)

    # variances --------------------------------------------------------------------------
    def _variance(self, order: StoreOrder | None, erp: ErpDocument | None,
                  saga: SagaState | None, recovery: Recovery | None, component: Component,
                  currency: str, commerce: Decimal, erp_amount: Decimal, verdict: Verdict,
                  workflow_id: str | None = None) -> Variance:
        cause, evidence = verdict
        woo_id = order.woo_id if order is not None else (erp.woo_id if erp is not None else None)
        return Variance(
            store=self.store, business_day=self.day.day, woo_order_id=woo_id,
            erp_document=erp.document if erp is not None else None,
            workflow_id=workflow_id or (saga.workflow_id if saga is not None else
                                        recovery.workflow_id if recovery is not None else None),
            component=component, commerce=Money.of(commerce, currency),
            erp=Money.of(erp_amount, currency),
            difference=Money.of(commerce - erp_amount, currency), cause=cause, evidence=evidence)

    def _variances(self, order: StoreOrder | None, erp: ErpDocument | None,
                   saga: SagaState | None, refunds: list[SagaState],
                   facts: LedgerFacts | None, recovery: Recovery | None,
                   gone: bool) -> list[Variance]:
        in_store = order is not None and order.demand
        in_erp = erp is not None and erp.live
        if in_store and in_erp:
            assert order is not None and erp is not None
            if order.currency != erp.currency:
                verdict = (Cause.UNEXPLAINED, f"the store order is in {order.currency}, "
                                              f"ERP sale {erp.document} in {erp.currency}")
                return [
                    self._variance(order, erp, saga, recovery, Component.ORDER, order.currency,
                                   order.net, ZERO, verdict),
                    self._variance(order, erp, saga, recovery, Component.ORDER, erp.currency,
                                   ZERO, erp.net, verdict)]
            return self._components(order, erp, saga, refunds, facts, recovery)
        if in_store:
            assert order is not None
            if order.net == 0:  # refunded in full: nothing left to book
                return []
            verdict = self._not_in_erp(order, erp, saga, facts, recovery)
            return [self._variance(order, erp, saga, recovery, Component.ORDER, order.currency,
                                   order.net, ZERO, verdict)]
        if in_erp:
            assert erp is not None
            if erp.net == 0:
                return []
            verdict = self._not_in_store(order, erp, saga, facts, recovery, gone)
            return [self._variance(order, erp, saga, recovery, Component.ORDER, erp.currency,
                                   ZERO, erp.net, verdict)]
        return []

    def _not_in_erp(self, o: StoreOrder, erp: ErpDocument | None, saga: SagaState | None,
                    facts: LedgerFacts | None, recovery: Recovery | None) -> Verdict:
        """The store has demand the ERP has not booked."""
        paid = "paid" if o.paid else f"{o.status}, not paid yet"
        if recovery is not None and not recovery.known:
            return Cause.RECOVERED, (f"no saga existed for store order {o.woo_id} ({paid}): "
                                     f"this run started {recovery.workflow_id}")
        if erp is not None and erp.cancelled:
            if saga is not None and saga.stage == NEEDS_ATTENTION:
                return Cause.PARKED, self._parked(saga)
            if saga is not None and saga.running:
                return Cause.CANCELLED, (f"ERP sale {erp.document} is cancelled; saga "
                                         f"{saga.workflow_id} is {self._stage(saga)}")
            return Cause.EDITED_IN_ERP, (f"ERP sale {erp.document} was cancelled in the ERP; "
                                         f"the store order is still {o.status}")
        if saga is None:
            if not o.paid:
                return Cause.NOT_PAID_YET, f"store order {o.woo_id} is {o.status}: no payment yet"
            if recovery is not None:  # existed, though visibility did not list it yet
                return Cause.IN_FLIGHT, (f"saga {recovery.workflow_id} exists (started moments "
                                         f"before this run)")
            return Cause.UNEXPLAINED, (f"store order {o.woo_id} is {o.status} with no saga and "
                                       f"no ERP sale")
        if saga.stage == NEEDS_ATTENTION:
            return Cause.PARKED, self._parked(saga)
        if saga.running:
            if saga.stage == AWAITING_PAYMENT or not o.paid:
                return Cause.NOT_PAID_YET, (f"store order is {o.status}; saga {saga.workflow_id} "
                                            f"{self._stage(saga)}")
            if saga.stage in BEFORE_ERP:
                return Cause.IN_FLIGHT, f"saga {saga.workflow_id} {self._stage(saga)}"
        elif saga.stage == ENDED_CANCELLED:
            return Cause.EDITED_IN_STORE, (f"saga {saga.workflow_id} ended cancelled; the store "
                                           f"has order {o.woo_id} {o.status} again")
        if facts is not None and facts.accepted_total is not None:
            return Cause.EDITED_IN_ERP, (
                f"the ERP accepted it as {facts.erp_document or '?'} "
                f"({facts.accepted_total} {o.currency}, {self._when(facts.accepted_at)}); "
                f"that sale no longer exists in the ERP; saga {saga.workflow_id} "
                f"{self._stage(saga)}")
        return Cause.UNEXPLAINED, (f"saga {saga.workflow_id} {self._stage(saga)} and the ERP "
                                   f"has no sale for store order {o.woo_id}")

    def _not_in_store(self, o: StoreOrder | None, erp: ErpDocument, saga: SagaState | None,
                      facts: LedgerFacts | None, recovery: Recovery | None,
                      gone: bool) -> Verdict:
        """The ERP has booked a sale the store has no demand for."""
        if o is None:
            if gone:
                if saga is not None or (facts is not None and facts.captured_at is not None):
                    who = f"saga {saga.workflow_id}" if saga else "the ledger"
                    return Cause.DELETED_IN_STORE, (
                        f"store order {erp.woo_id} no longer exists (deleted for good, no "
                        f"webhook); ERP sale {erp.document} stands; {who} knew it")
                return Cause.ERP_WITHOUT_STORE_ORDER, (
                    f"ERP sale {erp.document} ({erp.ref}) has no store order, no saga and "
                    f"nothing in the ledger")
            return Cause.UNEXPLAINED, f"store order {erp.woo_id} was not read in this run"
        if saga is not None and saga.stage == NEEDS_ATTENTION:
            return Cause.PARKED, self._parked(saga)
        if recovery is not None and not recovery.known:
            return Cause.RECOVERED, (f"no saga existed for store order {o.woo_id} ({o.status}): "
                                     f"this run started {recovery.workflow_id} to call off "
                                     f"ERP sale {erp.document}")
        if saga is not None and saga.running:
            return Cause.CANCELLED, (f"store order is {o.status}; saga {saga.workflow_id} "
                                     f"{self._stage(saga)}, calling off ERP sale {erp.document}")
        if saga is not None and (saga.stage in ENDED_BOOKED
                                 or (facts is not None and facts.accepted_at is not None)):
            return Cause.EDITED_IN_STORE, (
                f"store order {o.woo_id} became {o.status} after the ERP accepted it "
                f"({self._when(facts.accepted_at if facts else None)}); saga "
                f"{saga.workflow_id} {self._stage(saga)}; ERP sale {erp.document} stands")
        return Cause.UNEXPLAINED, (f"store order {o.woo_id} is {o.status}, ERP sale "
                                   f"{erp.document} is {erp.state}")

    def _components(self, o: StoreOrder, e: ErpDocument, saga: SagaState | None,
                    refunds: list[SagaState], facts: LedgerFacts | None,
                    recovery: Recovery | None) -> list[Variance]:
        q = quantum(o.currency)
        s_parts = o.items + o.shipping + o.fees + o.tax
        e_parts = e.items + e.shipping + e.fees + e.tax
        taxed_lines = o.item_lines + o.other_lines
        rows = [
            (Component.ITEMS, o.items, e.items, o.item_lines),
            (Component.SHIPPING, o.shipping, e.shipping, o.other_lines),
            (Component.FEES, o.fees, e.fees, o.other_lines),
            (Component.TAX, o.tax, e.tax, taxed_lines),
            (Component.ADJUSTMENT, o.total - s_parts, e.total - e_parts, 0),
        ]
        out = []
        verdict_for_order: Verdict | None = None
        for component, s, x, lines in rows:
            if s == x:
                continue
            if verdict_for_order is None:
                verdict_for_order = self._edited(o, e, saga, facts)
            verdict = verdict_for_order
            if verdict is None:
                bound = q * lines
                if abs(s - x) <= bound:
                    verdict = (Cause.ROUNDING, (
                        f"{component}: {abs(s - x)} {o.currency} apart, within one "
                        f"{q} per line × {lines} line(s) = {bound}"))
                elif saga is not None and saga.stage == NEEDS_ATTENTION:
                    verdict = (Cause.PARKED, self._parked(saga))
                elif saga is not None and saga.running and saga.stage in BEFORE_ERP:
                    verdict = (Cause.IN_FLIGHT, f"saga {saga.workflow_id} {self._stage(saga)}")
                else:
                    verdict = (Cause.UNEXPLAINED, (
                        f"{component}: store {s}, ERP {x} {o.currency}; nothing in the ledger "
                        f"or the sagas explains it"))
            out.append(self._variance(o, e, saga, recovery, component, o.currency, s, x,
                                      verdict))
        credited_delta = e.credited - o.refunded  # = (-refunded) - (-credited)
        if credited_delta != 0:
            verdict, wid = self._refund_verdict(o, e, refunds, recovery, q)
            out.append(self._variance(o, e, saga, recovery, Component.REFUNDS, o.currency,
                                      -o.refunded, -e.credited, verdict, workflow_id=wid))
        return out

    def _edited(self, o: StoreOrder, e: ErpDocument, saga: SagaState | None,
                facts: LedgerFacts | None) -> Verdict | None:
        """Did either side change after the ERP accepted the order? (the ledger's
        OrderAccepted keeps the ERP total then, PaymentAuthorized the store's)."""
        if facts is None or facts.accepted_total is None:
            return None
        when = self._when(facts.accepted_at)
        if e.total != facts.accepted_total:
            return Cause.EDITED_IN_ERP, (
                f"ERP sale {e.document} totals {e.total} {e.currency} now, "
                f"{facts.accepted_total} when the ERP accepted it ({when})")
        baseline = facts.paid_amount if facts.paid_amount is not None else facts.captured_total
        # The store keeps whole seconds: an edit in the second the ERP accepted
        # the order is after it (an edit before would have been accepted).
        if (baseline is not None and o.total != baseline and facts.accepted_at is not None
                and o.modified_at >= facts.accepted_at.replace(microsecond=0)):
            return Cause.EDITED_IN_STORE, (
                f"store order {o.woo_id} totals {o.total} {o.currency} now, {baseline} when "
                f"paid; modified {self._when(o.modified_at)}, after the ERP accepted it ({when})")
        return None

    def _refund_verdict(self, o: StoreOrder, e: ErpDocument, refunds: list[SagaState],
                        recovery: Recovery | None, q: Decimal) -> tuple[Verdict, str | None]:
        figures = f"store refunded {o.refunded}, ERP credited {e.credited} {o.currency}"
        parked = [r for r in refunds if r.stage == NEEDS_ATTENTION]
        running = [r for r in refunds if r.running and r.stage != NEEDS_ATTENTION]
        if parked:
            return (Cause.PARKED, f"{figures}; {self._parked(parked[0])}"), parked[0].workflow_id
        if running:
            r = running[0]
            return (Cause.REFUND_IN_FLIGHT, f"{figures}; refund saga {r.workflow_id} "
                                            f"{self._stage(r)}"), r.workflow_id
        if recovery is not None and recovery.started_refunds:
            return (Cause.RECOVERED, f"{figures}; no refund saga existed: {recovery.note}"), None
        if o.refunds and abs(e.credited - o.refunded) <= q * o.refunds:
            return (Cause.ROUNDING, f"{figures}: within one {q} per refund × {o.refunds}"), None
        if e.credited > o.refunded:
            return (Cause.EDITED_IN_ERP, f"{figures}; a credit note no refund saga "
                                         f"made"), None
        return (Cause.UNEXPLAINED, f"{figures}; no refund saga explains it"), None

    # evidence words --------------------------------------------------------------------
    def _stage(self, saga: SagaState) -> str:
        if not saga.running:
            return f"ended {saga.stage or 'in an unknown stage'}"
        return f"in {saga.stage or 'an unknown stage'} for {age(saga.since, self.now)}"

    def _parked(self, saga: SagaState) -> str:
        return (f"saga {saga.workflow_id} parked for {age(saga.since, self.now)}: "
                f"{saga.reason or 'no reason given'}")

    @staticmethod
    def _when(moment: datetime | None) -> str:
        return moment.strftime("%Y-%m-%d %H:%M:%SZ") if moment else "at an unknown time"
