"""Money and date formatting exactly as WooCommerce renders them (CONTRACT.md 1.3)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

CENT = Decimal("0.01")
DATE_FMT = "%Y-%m-%dT%H:%M:%S"


def dec(value: Any) -> Decimal:
    """Parse a request/stored amount; '' and None are zero, like PHP floatval."""
    if value in (None, ""):
        return Decimal(0)
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return Decimal(0)


def round_cents(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def dp_str(value: Any, dp: int) -> str:
    """wc_format_decimal($v, $dp): exactly dp decimals, '.' separator."""
    q = Decimal(1).scaleb(-dp)
    out = dec(value).quantize(q, rounding=ROUND_HALF_UP)
    if out == 0:
        out = abs(out)
    return f"{out:f}"


def raw_str(value: Any) -> str:
    """How WooCommerce stores a computed amount: trailing zeros trimmed ("0.9", "2")."""
    x = dec(value)
    if x == 0:
        return "0"
    return f"{x.normalize():f}"


def php_number(total: Decimal, qty: int) -> int | float:
    """Line-item `price` is total/qty computed by PHP: an int when it divides evenly."""
    if not qty:
        return 0
    value = abs(total) / abs(qty)
    return int(value) if value == value.to_integral_value() else float(value)


class Clock:
    """Site clock: stores UTC, renders site-local time with a fixed offset."""

    def __init__(self, utc_offset_minutes: int = 0):
        self.offset = timedelta(minutes=utc_offset_minutes)
        # business-time skew set by tests (/__sandbox/clock) to make "old" orders;
        # OAuth timestamps still check against the real clock
        self.skew = timedelta(0)

    def now_gmt(self) -> str:
        return (datetime.now(timezone.utc) + self.skew).strftime(DATE_FMT)

    def local(self, gmt: str | None) -> str | None:
        if not gmt:
            return None
        return (datetime.strptime(gmt, DATE_FMT) + self.offset).strftime(DATE_FMT)

    def to_gmt(self, value: datetime, is_gmt: bool) -> str:
        """A filter date as a gmt column value; naive values are in the column's zone."""
        if value.tzinfo is not None:
            return value.astimezone(timezone.utc).strftime(DATE_FMT)
        return (value if is_gmt else value - self.offset).strftime(DATE_FMT)

    def dates(self, obj: dict, *names: str) -> dict[str, str | None]:
        """Render `name` (local) and `name_gmt` pairs from the stored gmt value."""
        out: dict[str, str | None] = {}
        for name in names:
            gmt = obj.get(f"{name}_gmt")
            out[name] = self.local(gmt)
            out[f"{name}_gmt"] = gmt
        return out
