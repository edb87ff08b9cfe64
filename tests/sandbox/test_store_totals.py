"""The emulator's calculate_totals() re-adds for any cart, and the mapping agrees (property test)."""
from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings, strategies as st

from sandbox.catalog import CURRENCY, TAX_NAME, TAX_RATE
from sandbox.store import orders, render, seed
from sandbox.store.db import Database
from sandbox.store.fmt import Clock
from sandbox.store.site import Site, TaxRate
from systems.woocommerce.mapping import order_from_woo

SKUS = ["WOO-HOODIE", "WOO-TSHIRT", "WOO-MUG", "WOO-POSTER", "WOO-CAP-RED", "WOO-CAP-BLUE"]
cents = st.integers(min_value=-500, max_value=5000).map(lambda c: str(Decimal(c) / 100))

cart = st.fixed_dictionaries({
    "line_items": st.lists(st.fixed_dictionaries({"sku": st.sampled_from(SKUS),
                                                  "quantity": st.integers(1, 7)}),
                           min_size=1, max_size=4),
    "coupon_lines": st.lists(st.sampled_from([{"code": "save10"}, {"code": "fiveoff"}]),
                             max_size=2, unique_by=lambda c: c["code"]),
    "shipping_lines": st.lists(st.fixed_dictionaries({"method_id": st.just("flat_rate"),
                                                      "total": cents.filter(lambda v: Decimal(v) >= 0)}),
                               max_size=2),
    "fee_lines": st.lists(st.fixed_dictionaries({"name": st.just("Fee"), "total": cents,
                                                 "tax_status": st.sampled_from(["taxable", "none"])}),
                          max_size=2),
})


def _site(path) -> Site:
    tax = TaxRate(id=1, rate=TAX_RATE, label=TAX_NAME, code="SALES TAX-1")
    site = Site(db=Database(path / "t.sqlite"), clock=Clock(-300), home_url="http://shop.test",
                currency=CURRENCY, tax=tax)
    seed.seed(site)
    return site


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=cart)
def test_any_cart_re_adds_and_maps(tmp_path_factory, data):
    site = _site(tmp_path_factory.mktemp("totals"))
    with site.db.tx():
        order = orders.create(site, data, "http://shop.test")
    raw = render.order(site, order, "http://shop.test")
    mapped = order_from_woo(raw, store="prop")
    assert mapped.computed_total() == mapped.total
    assert mapped.cart_tax + mapped.shipping_tax == mapped.total_tax
    lines_tax = sum((line.total_tax.amount for line in mapped.lines), Decimal(0))
    fees_tax = sum((fee.total_tax.amount for fee in mapped.fee_lines), Decimal(0))
    assert lines_tax + fees_tax == mapped.cart_tax.amount
    discount = sum((c.discount.amount for c in mapped.coupon_lines), Decimal(0))
    assert discount == mapped.discount_total.amount
    coupon_tax = sum((c.discount_tax.amount for c in mapped.coupon_lines), Decimal(0))
    assert coupon_tax == mapped.discount_tax.amount
    assert all(line.total <= line.subtotal for line in mapped.lines)
