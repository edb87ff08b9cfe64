from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from canonical.money import CurrencyMismatch, Money, minor_unit, total

amounts = st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"),
                      allow_nan=False, allow_infinity=False, places=4)
currencies = st.sampled_from(["USD", "EUR", "JPY", "KWD"])


@given(amounts, currencies)
def test_amount_is_quantized_to_the_minor_unit(amount, currency):
    m = Money.of(amount, currency)
    assert -m.amount.as_tuple().exponent == minor_unit(currency)
    assert abs(m.amount - amount) <= Decimal(1).scaleb(-minor_unit(currency)) / 2


@given(amounts, currencies)
def test_rounded_residual_is_exactly_what_rounding_dropped(amount, currency):
    m, residual = Money.rounded(amount, currency)
    assert m.amount + residual == amount


@given(amounts, amounts, currencies)
def test_addition_and_subtraction_are_exact_inverses(a, b, currency):
    x, y = Money.of(a, currency), Money.of(b, currency)
    assert (x + y) - y == x
    assert x + (-x) == Money.zero(currency)


@given(amounts, st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=8)
       .filter(lambda ws: sum(ws) > 0), currencies)
def test_allocate_never_loses_or_invents_a_minor_unit(amount, weights, currency):
    m = Money.of(amount, currency)
    parts = m.allocate(weights)
    assert total(parts, currency) == m
    assert all(p.is_zero() for p, w in zip(parts, weights) if w == 0)
    assert len(parts) == len(weights)


def test_half_up_rounding_like_woocommerce():
    assert Money.of("0.125", "USD").amount == Decimal("0.13")
    assert Money.of("-0.125", "USD").amount == Decimal("-0.13")


def test_mixing_currencies_is_an_error():
    with pytest.raises(CurrencyMismatch, match="USD with EUR"):
        Money.of(1, "USD") + Money.of(1, "EUR")
    with pytest.raises(CurrencyMismatch):
        Money.of(1, "USD") < Money.of(2, "EUR")


def test_floats_and_bad_codes_are_refused():
    with pytest.raises(Exception, match="float"):
        Money.of(0.1, "USD")
    with pytest.raises(Exception, match="ISO 4217"):
        Money.of(1, "usd")
    with pytest.raises(Exception, match="not a decimal"):
        Money.of("ten", "USD")


def test_money_round_trips_through_json_as_a_string():
    m = Money.of("19.99", "USD")
    assert m.model_dump_json() == '{"amount":"19.99","currency":"USD"}'
    assert Money.model_validate_json(m.model_dump_json()) == m
