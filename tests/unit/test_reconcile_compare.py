"""The pure compare: every difference gets one cause from the closed list,
and the causes add up exactly to the day's difference."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from canonical.erp import CreditNote, ErpSale, ErpSaleLine, Invoice, Shipment
from canonical.money import Money
from canonical.reconcile import (Cause, Component, DayCompare, ErpDocument, LedgerFacts,
                                 Recovery, SagaState, State, StoreOrder, business_day,
                                 business_days, day_of)
from canonical.reconcile import compare
from tests.fixtures.erp import make_order
from workflows.stages import Stage

DAY = business_day(date(2026, 11, 30), "Europe/Paris")
NOW = DAY.end + timedelta(hours=2)
CREATED = DAY.start + timedelta(hours=10)
ACCEPTED = CREATED + timedelta(minutes=1)


def store_order(woo_id: int, *, items="20.00", shipping="5.00", tax="2.50", status="processing",
                paid=True, refunded="0.00", refunds=0, modified=None) -> StoreOrder:
    items_, shipping_, tax_ = Decimal(items), Decimal(shipping), Decimal(tax)
    return StoreOrder(
        store="default", woo_id=woo_id, status=status, currency="EUR", created_at=CREATED,
        modified_at=modified or CREATED + timedelta(minutes=2), paid=paid, items=items_,
        shipping=shipping_, fees=Decimal(0), tax=tax_, total=items_ + shipping_ + tax_,
        refunded=Decimal(refunded), refunds=refunds, item_lines=2, other_lines=1,
        erp_document=f"SO{woo_id}")


def erp_doc(o: StoreOrder, **changes) -> ErpDocument:
    doc = ErpDocument(
        ref=f"woo:default:{o.woo_id}", woo_id=o.woo_id, erp_id=o.woo_id, document=f"SO{o.woo_id}",
        state="processing", cancelled=False, shipped=False, currency=o.currency, items=o.items,
        shipping=o.shipping, fees=o.fees, tax=o.tax, total=o.total, invoiced=Decimal(0),
        invoices=0, credited=o.refunded, credit_notes=o.refunds, credited_posted=o.refunded,
        item_lines=o.item_lines, other_lines=o.other_lines, created_at=ACCEPTED)
    return replace(doc, **changes)


def facts(o: StoreOrder, accepted_total: Decimal | None = None) -> LedgerFacts:
    return LedgerFacts(woo_id=o.woo_id, captured_at=o.created_at, captured_total=o.total,
                       paid_amount=o.total, accepted_at=ACCEPTED,
                       accepted_total=o.total if accepted_total is None else accepted_total,
                       erp_document=f"SO{o.woo_id}")


def saga(woo_id: int, stage: str, *, running=True, reason=None, kind="order",
         wid=None) -> SagaState:
    return SagaState(workflow_id=wid or f"{kind}:default:{woo_id}", woo_id=woo_id, kind=kind,
                     stage=stage, reason=reason, since=NOW - timedelta(minutes=7),
                     running=running)


def one(**kwargs):
    day = DayCompare("default", DAY, NOW)
    found = day.add(**kwargs)
    [report] = day.reports()
    return found, report


def test_a_clean_day_has_nothing_unexplained():
    day = DayCompare("default", DAY, NOW)
    for n in range(1, 51):
        o = store_order(n)
        assert day.add(order=o, erp=erp_doc(o), sagas=[saga(n, "awaiting_shipment")],
                       facts=facts(o)) == []
    [report] = day.reports()
    assert report.difference == report.unexplained == Money.zero("EUR")
    assert report.orders_compared == 50 and report.variances == []
    assert report.commerce == report.erp == Money.of(Decimal("27.50") * 50, "EUR")
    assert report.states[State.CAPTURED].commerce.count == 50
    assert report.states[State.CAPTURED].erp is None  # the ERP does not capture
    assert report.states[State.INVOICED].commerce is None
    assert report.states[State.ACCEPTED].erp.count == 50


# each cause, produced -------------------------------------------------------------
def test_in_flight_names_the_stage_and_its_age():
    o = store_order(1)
    [v], report = one(order=o, sagas=[saga(1, "awaiting_erp")])
    assert (v.cause, v.component, v.difference) == (Cause.IN_FLIGHT, Component.ORDER,
                                                    Money.of("27.50", "EUR"))
    assert "awaiting_erp for 7m" in v.evidence and v.workflow_id == "order:default:1"
    assert report.unexplained.is_zero()


def test_parked_carries_the_sagas_reason():
    o = store_order(2)
    [v], _ = one(order=o, sagas=[saga(2, "needs_attention", reason="SKU WOO-X is not mapped")])
    assert v.cause == Cause.PARKED and "SKU WOO-X is not mapped" in v.evidence


def test_an_unpaid_order_is_provisional_demand():
    o = store_order(3, status="pending", paid=False)
    [v], _ = one(order=o, sagas=[saga(3, "awaiting_payment")])
    assert v.cause == Cause.NOT_PAID_YET


def test_an_order_cancelled_in_the_store_while_the_saga_calls_the_sale_off():
    o = store_order(4, status="cancelled")
    [v], report = one(order=o, erp=erp_doc(o), sagas=[saga(4, "cancelling")], facts=facts(o))
    assert v.cause == Cause.CANCELLED and v.difference == Money.of("-27.50", "EUR")
    assert report.commerce.is_zero() and report.erp == Money.of("27.50", "EUR")


def test_a_refund_whose_credit_note_is_not_booked_yet():
    o = store_order(5, refunded="10.00", refunds=1)
    e = erp_doc(o, credited=Decimal(0), credit_notes=0)
    [v], _ = one(order=o, erp=e, facts=facts(o),
                 sagas=[saga(5, "closed", running=False),
                        saga(5, "posting_credit_note", kind="refund", wid="refund:default:5:77")])
    assert (v.cause, v.component) == (Cause.REFUND_IN_FLIGHT, Component.REFUNDS)
    assert v.difference == Money.of("-10.00", "EUR") and v.workflow_id == "refund:default:5:77"


def test_rounding_is_explicit_and_bounded_per_line():
    o = store_order(6)
    e = erp_doc(o, tax=Decimal("2.49"), total=o.total - Decimal("0.01"))
    [v], _ = one(order=o, erp=e, facts=facts(o, accepted_total=e.total))
    assert (v.cause, v.component) == (Cause.ROUNDING, Component.TAX)
    assert "3 line(s) = 0.03" in v.evidence
    beyond = erp_doc(o, tax=Decimal("2.40"), total=o.total - Decimal("0.10"))
    [w], _ = one(order=o, erp=beyond, facts=facts(o, accepted_total=beyond.total))
    assert w.cause == Cause.UNEXPLAINED  # 0.10 is more than 3 lines can round


def test_an_order_with_no_saga_is_recovered():
    o = store_order(7)
    rec = Recovery(woo_id=7, workflow_id="order:default:7", known=False, note="signalled")
    [v], _ = one(order=o, recovery=rec)
    assert v.cause == Cause.RECOVERED and v.workflow_id == "order:default:7"


def test_a_sale_whose_store_order_was_deleted_for_good():
    o = store_order(8)
    [v], _ = one(erp=erp_doc(o), sagas=[saga(8, "closed", running=False)], facts=facts(o),
                 gone=True)
    assert v.cause == Cause.DELETED_IN_STORE and v.difference == Money.of("-27.50", "EUR")


def test_an_order_edited_in_the_store_after_acceptance():
    o = store_order(9)
    edited = replace(o, items=Decimal("30.00"), tax=Decimal("3.50"), total=Decimal("38.50"),
                     modified_at=ACCEPTED + timedelta(hours=1))
    found, report = one(order=edited, erp=erp_doc(o), facts=facts(o),
                        sagas=[saga(9, "awaiting_shipment")])
    assert {v.cause for v in found} == {Cause.EDITED_IN_STORE}
    assert {v.component for v in found} == {Component.ITEMS, Component.TAX}
    assert report.difference == Money.of("11.00", "EUR")


def test_an_edit_in_the_second_the_erp_accepted_the_order_is_after_it():
    """The store's date_modified has whole seconds, the ledger's acceptance not."""
    o = store_order(9)
    edited = replace(o, items=Decimal("30.00"), tax=Decimal("3.50"), total=Decimal("38.50"),
                     modified_at=ACCEPTED.replace(microsecond=0))
    found, _ = one(order=edited, erp=erp_doc(o),
                   facts=replace(facts(o), accepted_at=ACCEPTED.replace(microsecond=250_000)),
                   sagas=[saga(9, "awaiting_shipment")])
    assert {v.cause for v in found} == {Cause.EDITED_IN_STORE}


def test_a_sale_edited_in_the_erp():
    o = store_order(10)
    e = erp_doc(o, items=Decimal("30.00"), tax=Decimal("3.50"), total=Decimal("38.50"))
    found, _ = one(order=o, erp=e, facts=facts(o), sagas=[saga(10, "awaiting_invoice")])
    assert {v.cause for v in found} == {Cause.EDITED_IN_ERP}
    assert "38.50 EUR now, 27.50 when the ERP accepted it" in found[0].evidence


def test_an_erp_sale_nobody_knows():
    o = store_order(11)
    [v], _ = one(erp=erp_doc(o), gone=True)
    assert v.cause == Cause.ERP_WITHOUT_STORE_ORDER


def test_what_fits_no_cause_is_unexplained():
    o = store_order(12)
    [v], report = one(order=o)  # paid, no saga, no sale, nothing recovered
    assert v.cause == Cause.UNEXPLAINED and report.unexplained == Money.of("27.50", "EUR")


def test_every_cause_has_a_test_above():
    produced = {Cause.IN_FLIGHT, Cause.PARKED, Cause.NOT_PAID_YET, Cause.CANCELLED,
                Cause.REFUND_IN_FLIGHT, Cause.ROUNDING, Cause.RECOVERED, Cause.DELETED_IN_STORE,
                Cause.EDITED_IN_STORE, Cause.EDITED_IN_ERP, Cause.ERP_WITHOUT_STORE_ORDER,
                Cause.UNEXPLAINED}
    assert produced == set(Cause)


def test_the_stage_names_are_the_sagas_own():
    stages = set(Stage)
    assert compare.BEFORE_ERP | compare.ENDED_BOOKED | {
        compare.NEEDS_ATTENTION, compare.AWAITING_PAYMENT, compare.ENDED_CANCELLED} <= stages


# causes add up ---------------------------------------------------------------------
cents = st.integers(min_value=-500, max_value=500).map(lambda c: Decimal(c).scaleb(-2))
situations = st.sampled_from(["clean", "no_erp", "no_store", "gone", "edit_erp", "edit_store",
                              "rounding", "refund", "cancelled", "currency"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(situations, cents, st.booleans(), st.sampled_from(
    [None, "awaiting_erp", "needs_attention", "closed", "cancelling"])), max_size=25))
def test_the_causes_add_up_exactly_to_the_difference(cases):
    day = DayCompare("default", DAY, NOW)
    for n, (situation, delta, running, stage) in enumerate(cases, start=1):
        o = store_order(n)
        e = erp_doc(o)
        sagas = [saga(n, stage, running=running)] if stage else []
        f = facts(o)
        if situation == "no_erp":
            e = None
        elif situation in ("no_store", "gone"):
            o = None
        elif situation == "edit_erp":
            e = replace(e, items=e.items + delta, total=e.total + delta)
        elif situation == "edit_store":
            o = replace(o, items=o.items + delta, total=o.total + delta,
                        modified_at=ACCEPTED + timedelta(hours=1))
        elif situation == "rounding":
            e = replace(e, tax=e.tax + delta, total=e.total + delta)
            f = facts(o, accepted_total=e.total)
        elif situation == "refund":
            o = replace(o, refunded=abs(delta), refunds=1)
        elif situation == "cancelled":
            o = replace(o, status="cancelled")
        elif situation == "currency":
            e = replace(e, currency="USD")
        day.add(order=o, erp=e, sagas=sagas, facts=f, gone=situation == "gone")
    for report in day.reports():  # DayReport refuses to exist otherwise; say it again here
        explained = sum((v.difference.amount for v in report.variances), Decimal(0))
        assert explained == report.difference.amount == (report.commerce - report.erp).amount
        assert all(v.cause in set(Cause) and v.evidence for v in report.variances)


def test_a_report_whose_causes_do_not_add_up_cannot_be_made():
    o = store_order(1)
    _, report = one(order=o, sagas=[saga(1, "awaiting_erp")])
    with pytest.raises(ValueError, match="variances add up"):
        type(report)(**{**report.model_dump(), "variances": []})


# snapshots from the canonical model --------------------------------------------------
def test_snapshots_of_the_canonical_entities_agree_on_a_clean_order():
    order = make_order([("WOO-MUG", 2, "12.50"), ("WOO-TSHIRT", 1, "18.00")], fee="1.00")
    usd = lambda x: Money.of(x, "USD")  # noqa: E731
    sale = ErpSale(
        erp_id=7, number="SO7", external_ref="woo:test:1001", state="processing",
        total=order.total, untaxed=usd("49.00"), tax=order.total_tax,
        lines=[ErpSaleLine(component="items", sku="WOO-MUG", quantity=Decimal(2),
                           amount=usd("25.00")),
               ErpSaleLine(component="items", sku="WOO-TSHIRT", quantity=Decimal(1),
                           amount=usd("18.00")),
               ErpSaleLine(component="shipping", sku="SHIPPING", quantity=Decimal(1),
                           amount=usd("5.00")),
               ErpSaleLine(component="fees", sku="FEE", quantity=Decimal(1), amount=usd("1.00"))],
        shipments=[Shipment(erp_id=1, state="done")],
        invoices=[Invoice(erp_id=1, state="posted", total=order.total)])
    note = CreditNote(refund_ref="refund:test:1001:1", number="CN1", state="posted",
                      total=usd("-5.00"))
    s, e = StoreOrder.of(order), ErpDocument.of(sale, [note])
    assert (s.items, s.shipping, s.fees) == (e.items, e.shipping, e.fees)
    assert (s.tax, s.total, e.woo_id, e.credited, e.invoices) == (
        e.tax, e.total, 1001, Decimal("5.00"), 1)
    assert e.shipped and e.accepted and e.net == order.total.amount - 5
    assert StoreOrder.from_row(s.row()) == s and ErpDocument.from_row(e.row()) == e


def test_business_days_are_local_midnights():
    day = business_day(date(2026, 11, 30), "Europe/Paris")
    assert day.start == datetime(2026, 11, 29, 23, tzinfo=timezone.utc)
    assert day.end - day.start == timedelta(hours=24)
    spring = business_day(date(2026, 3, 29), "Europe/Paris")  # DST: a 23-hour day
    assert spring.end - spring.start == timedelta(hours=23)
    assert [d.day.day for d in business_days(date(2026, 11, 29), date(2026, 12, 1), "UTC")] == \
        [29, 30, 1]
    assert day_of(datetime(2026, 11, 29, 23, 30, tzinfo=timezone.utc), "Europe/Paris") == \
        date(2026, 11, 30)
    with pytest.raises(ValueError, match="unknown time zone"):
        business_day(date(2026, 11, 30), "Mars/Olympus")
