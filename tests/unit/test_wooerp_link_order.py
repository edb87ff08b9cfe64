"""wooerp_link's order rules (systems/erp/tryton/wooerp_link/order.py), no server.

The one-call acceptance must book what the adapter's multi-call path books:
these compare its rules with the adapter's own functions on generated
customers, addresses and prices, and check that bad payloads are refused.
"""
from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
from hypothesis import given, settings, strategies as st

from canonical.entities import Address, Customer
from canonical.money import Money
from systems.erp.errors import ErpRejectedError
from systems.erp.tryton import adapter, parties
from systems.erp.tryton.wooerp_link.order import (
    FEE_SKU, MAX_LINES, SHIPPING_SKU, InvalidOrder, parse_order)
from tests.fixtures.erp import make_order
from systems.erp.tryton.accept import accept_payload

text = st.sampled_from(["", "Ada", "Lovelace", "ACME Ltd", "  x ", "Zoë"])
emails = st.one_of(st.none(), st.sampled_from(["", "Ada@Example.com ", "b@example.com"]))
addresses = st.builds(Address, first_name=text, last_name=text, company=text, address_1=text,
                      address_2=text, city=text, postcode=st.sampled_from(["", "94105"]),
                      country=st.sampled_from(["", "US", "gb"]), email=emails,
                      phone=st.one_of(st.none(), st.just("+1 555")))
customers = st.builds(Customer, woo_id=st.sampled_from([0, 7]), email=emails, first_name=text,
                      last_name=text, phone=st.one_of(st.none(), st.just("+44 20")))


def _order(customer, billing, shipping):
    return make_order([("WOO-MUG", 1, "12.50")]).model_copy(
        update={"customer": customer, "billing": billing, "shipping": shipping})


@settings(max_examples=200, deadline=None)
@given(customers, addresses, st.one_of(st.none(), addresses))
def test_the_party_is_keyed_named_and_filled_like_the_adapter_does(customer, billing, shipping):
    order = _order(customer, billing, shipping)
    try:
        expected_key = parties.party_key(customer, billing)
    except ErpRejectedError:
        with pytest.raises(InvalidOrder):
            parse_order(accept_payload(order)).party_key
        return
    parsed = parse_order(accept_payload(order))
    assert parsed.party_key == expected_key
    expected_name = (customer.display_name if customer.display_name != "guest"
                     else (billing.full_name or expected_key))
    assert parsed.party_name == expected_name
    assert parsed.contacts == [(c["type"], c["value"])
                               for c in parties._contacts(customer, billing)]
    assert [(a.full_name, a.street, a.postcode, a.city, a.country)
            for a in parsed.party_addresses] == \
        [(a.full_name, "\n".join(p for p in (a.address_1, a.address_2) if p), a.postcode,
          a.city, a.country) for a in parties._distinct(billing, shipping)]


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 1000), st.decimals(min_value=0, max_value=10 ** 6, places=2),
       st.sampled_from(["0.00", "0.01", "1.25"]))
def test_lines_are_priced_and_taxed_like_the_adapter_prices_them(quantity, net, tax):
    line = make_order([("WOO-MUG", quantity, "1.00")]).lines[0].model_copy(
        update={"total": Money.of(net, "USD"), "total_tax": Money.of(tax, "USD")})
    info = SimpleNamespace(product=SimpleNamespace(id=1), unit=1, taxes=(9,))
    expected = adapter._line(info, quantity, line.total, line.total_tax, line.name)
    parsed, = parse_order(accept_payload(
        make_order([("WOO-MUG", 1, "1")], shipping=None).model_copy(
            update={"lines": [line]}))).lines
    assert parsed.unit_price == expected["unit_price"]
    assert parsed.quantity == expected["quantity"] and parsed.description == line.name
    assert parsed.taxed == ("taxes" in expected)


def test_shipping_and_fee_lines_follow_the_order_lines_on_their_skus():
    order = parse_order(accept_payload(make_order(
        [("WOO-MUG", 2, "12.50"), ("WOO-CAP-BLUE", 1, "20.00")], shipping="5.00", fee="2.00")))
    assert [(l.sku, l.quantity, l.description) for l in order.lines] == [
        ("WOO-MUG", 2, "WOO-MUG"), ("WOO-CAP-BLUE", 1, "WOO-CAP-BLUE"),
        (SHIPPING_SKU, 1, "Flat rate"), (FEE_SKU, 1, "Gift wrap")]
    assert order.skus == ["WOO-MUG", "WOO-CAP-BLUE", SHIPPING_SKU, FEE_SKU]
    assert order.lines[0].unit_price == Decimal("12.5000")
    assert order.description == "WooCommerce order 1001 (test)"
    untitled = accept_payload(make_order([("WOO-MUG", 1, "1.00")]))
    untitled["shipping_lines"][0]["method_title"] = ""
    assert parse_order(untitled).lines[-1].description == "Shipping"


def test_a_line_without_sku_is_kept_to_be_named_unknown():
    payload = accept_payload(make_order([("WOO-MUG", 1, "1.00")]))
    payload["lines"].append({**payload["lines"][0], "sku": None})
    assert parse_order(payload).skus == ["WOO-MUG", None, SHIPPING_SKU]


GOOD = accept_payload(make_order([("WOO-MUG", 1, "12.50")]))


@pytest.mark.parametrize("change, words", [
    (lambda p: p.update(lines=[]), "no lines"),
    (lambda p: p["lines"][0].update(quantity=0), "quantity"),
    (lambda p: p["lines"][0].update(quantity=True), "quantity"),
    (lambda p: p["lines"][0].update(quantity=1.5), "quantity"),
    (lambda p: p["lines"][0].update(quantity=10 ** 7), "quantity"),
    (lambda p: p["lines"][0].update(total=12.5), "Decimal, not float"),
    (lambda p: p["lines"][0].update(total=Decimal("NaN")), "finite"),
    (lambda p: p["lines"][0].update(total=Decimal(10) ** 13), "finite"),
    (lambda p: p["lines"][0].update(total="ten"), "not a decimal"),
    (lambda p: p["lines"][0].update(name="x" * 1025), "longer than"),
    (lambda p: p.update(lines=[p["lines"][0]] * (MAX_LINES + 1)), "more than"),
    (lambda p: p.update(shipping_lines=[p["lines"][0]] * MAX_LINES), "more than"),
    (lambda p: p.update(number=" "), "number is required"),
    (lambda p: p.update(currency="US"), "ISO 4217"),
    (lambda p: p.update(billing="5 Elm St"), "billing must be an object"),
    (lambda p: p["billing"].update(city=5), "billing.city must be text"),
    (lambda p: p["customer"].update(woo_id=-1), "woo_id"),
    (lambda p: p.update(lines={"sku": "x"}), "lines must be a list"),
])
def test_bad_payloads_are_refused_in_words(change, words):
    payload = {**GOOD, "lines": [dict(l) for l in GOOD["lines"]], "billing": dict(GOOD["billing"]),
               "customer": dict(GOOD["customer"])}
    change(payload)
    with pytest.raises(InvalidOrder, match=words):
        parse_order(payload)


def test_the_good_payload_parses():
    order = parse_order(GOOD)
    assert order.currency == "USD" and order.lines[0].total == Decimal("12.50")
    assert order.party_key == f"email:{GOOD['customer']['email'].lower()}"
