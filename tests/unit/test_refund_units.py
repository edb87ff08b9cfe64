"""canonical.refunds: a line refund never takes more units than the line has
left, even when the order's money would cover it (the amount check alone
lets 3 mugs of a 2-mug line through on an order that also holds a hoodie)."""
from __future__ import annotations

import pytest

from canonical.entities import OrderLine, Refund
from canonical.money import Money
from canonical.refunds import RefundNotAllowed, build_refund, refund_line
from sandbox.fake_systems import sample_order

OID = 7
MUGS, HOODIE = OID * 10, OID * 10 + 1  # 2 x 12.50 + 10 % tax; 1 x 100.00 + 10 %


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


def mugs_and_a_hoodie(refunds: list[Refund] = ()):
    base = sample_order(OID)
    hoodie = OrderLine(line_id=HOODIE, sku="WOO-HOODIE", name="hoodie", quantity=1,
                       subtotal=usd("100.00"), subtotal_tax=usd("10.00"),
                       total=usd("100.00"), total_tax=usd("10.00"))
    return base.model_copy(update={
        "lines": [*base.lines, hoodie], "cart_tax": usd("12.50"), "total_tax": usd("12.50"),
        "total": usd("137.50"), "refunds": list(refunds)})


def test_more_units_than_the_line_has_are_refused_though_the_money_would_cover_them():
    order = mugs_and_a_hoodie()
    with pytest.raises(RefundNotAllowed, match="asked to refund 3 units, only 2 of 2 are left"):
        build_refund(order, {MUGS: 3}, None, "three mugs")  # 41.25 of the 137.50 left
    assert build_refund(order, {MUGS: 2}, None, "").amount == usd("27.50")


def test_units_refunded_before_count_against_the_line():
    first = build_refund(mugs_and_a_hoodie(), {MUGS: 2}, None, "both mugs")
    order = mugs_and_a_hoodie([first.model_copy(update={"woo_id": 1})])
    assert order.remaining_refundable() == usd("110.00")
    with pytest.raises(RefundNotAllowed, match="asked to refund 1 units, only 0 of 2 are left"):
        build_refund(order, {MUGS: 1}, None, "a third mug")  # 13.75: the money is there
    with pytest.raises(RefundNotAllowed, match="only 1 of 2 are left"):
        refund_line(order.line(MUGS), 2, already_refunded_units=1)
    assert build_refund(order, {HOODIE: 1}, None, "").amount == usd("110.00")
