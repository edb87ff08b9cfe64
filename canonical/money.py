"""Money: a Decimal amount with an ISO 4217 currency, never a float.

Amounts are quantized to the currency's minor unit when a Money is made, with
ROUND_HALF_UP (what WooCommerce's PHP `round()` does). Where rounding must not
be silent, `Money.rounded()` returns the residual so the caller can book it.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Iterable, Sequence

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

# Currencies whose minor unit is not 2 digits (ISO 4217); every other is 2.
_MINOR_UNITS = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
    "PYG": 0, "RWF": 0, "UGX": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}


class CurrencyMismatch(ValueError):
    """Two amounts in different currencies were combined."""


def minor_unit(currency: str) -> int:
    return _MINOR_UNITS.get(currency, 2)


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_unit(currency))


def to_decimal(value: Any) -> Decimal:
    """Decimal from a str/int/Decimal; floats are refused (they already lost cents)."""
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError(f"money amounts must not be {type(value).__name__}: {value!r}")
    try:
        result = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"not a decimal amount: {value!r}") from exc
    if not result.is_finite():
        raise ValueError(f"not a finite amount: {value!r}")
    return result


class Money(BaseModel):
    model_config = ConfigDict(frozen=True)

    amount: Decimal
    currency: str

    @field_validator("currency")
    @classmethod
    def _iso_code(cls, value: str) -> str:
        if len(value) != 3 or not value.isalpha() or not value.isupper():
            raise ValueError(f"currency must be an ISO 4217 code like 'USD', got {value!r}")
        return value

    @model_validator(mode="before")
    @classmethod
    def _quantize(cls, data: Any) -> Any:
        if isinstance(data, dict) and "amount" in data and isinstance(data.get("currency"), str):
            amount = to_decimal(data["amount"])
            q = quantum(data["currency"]) if len(data["currency"]) == 3 else Decimal("0.01")
            try:
                quantized = amount.quantize(q, rounding=ROUND_HALF_UP)
            except InvalidOperation:
                # More digits than Decimal's context holds at this minor unit
                # ("1e26"): a typed refusal, never an ArithmeticError nobody catches.
                raise ValueError(f"amount too large for {data['currency']}: {amount:.3e}") from None
            data = {**data, "amount": quantized}
        return data

    # construction -----------------------------------------------------------
    @classmethod
    def of(cls, amount: Any, currency: str) -> Money:
        return cls(amount=amount, currency=currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(amount=Decimal(0), currency=currency)

    @classmethod
    def rounded(cls, amount: Any, currency: str) -> tuple[Money, Decimal]:
        """The Money and the residual (exact - rounded) that rounding dropped."""
        exact = to_decimal(amount)
        money = cls(amount=exact, currency=currency)
        return money, exact - money.amount

    # arithmetic -------------------------------------------------------------
    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(amount=self.amount + other.amount, currency=self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(amount=self.amount - other.amount, currency=self.currency)

    def __neg__(self) -> Money:
        return Money(amount=-self.amount, currency=self.currency)

    def __mul__(self, factor: int | Decimal) -> Money:
        return Money(amount=self.amount * to_decimal(factor), currency=self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    def is_zero(self) -> bool:
        return self.amount == 0

    def allocate(self, weights: Sequence[int | Decimal]) -> list[Money]:
        """Split by weights without losing or inventing a minor unit.

        The remainder is handed out one minor unit at a time, largest share
        first, so the parts always add up to the whole.
        """
        ws = [to_decimal(w) for w in weights]
        if not ws or any(w < 0 for w in ws) or sum(ws) == 0:
            raise ValueError("allocate needs non-negative weights with a positive sum")
        q = quantum(self.currency)
        total = sum(ws)
        shares = [(self.amount * w / total).quantize(q, rounding="ROUND_DOWN") for w in ws]
        remainder = self.amount - sum(shares)
        step = q if remainder >= 0 else -q
        order = sorted((i for i in range(len(ws)) if ws[i] > 0), key=lambda i: ws[i], reverse=True)
        i = 0
        while remainder != 0:
            shares[order[i % len(order)]] += step
            remainder -= step
            i += 1
        return [Money(amount=s, currency=self.currency) for s in shares]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


def total(amounts: Iterable[Money], currency: str) -> Money:
    """Sum of amounts, all in `currency` (an empty sum is zero, not an error)."""
    result = Money.zero(currency)
    for m in amounts:
        result = result + m
    return result
