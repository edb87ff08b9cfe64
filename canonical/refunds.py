"""Refund arithmetic: what a partial refund of some order lines is worth.

Per-unit amounts are split with Money.allocate, so refunding every unit of a
line one at a time gives back exactly the line's total, never a cent more.
"""
from __future__ import annotations

from canonical.entities import Order, OrderLine, Refund, RefundLine
from canonical.money import Money, total


class RefundNotAllowed(ValueError):
    """The refund asks for more than the order has left to refund."""


def _units(amount: Money, quantity: int, take: int) -> Money:
    return total(amount.allocate([1] * quantity)[:take], amount.currency)


def refund_line(line: OrderLine, quantity: int, already_refunded_units: int = 0) -> RefundLine:
    left = line.quantity - already_refunded_units
    if quantity > left:
        raise RefundNotAllowed(
            f"line {line.line_id} ({line.sku or line.name}): asked to refund {quantity} units, "
            f"only {left} of {line.quantity} are left")
    return RefundLine(line_id=line.line_id, sku=line.sku, quantity=quantity,
                      amount=_units(line.total, line.quantity, quantity),
                      tax=_units(line.total_tax, line.quantity, quantity))


def refunded_units(order: Order) -> dict[int, int]:
    units: dict[int, int] = {}
    for refund in order.refunds:
        for rl in refund.lines:
            units[rl.line_id] = units.get(rl.line_id, 0) + rl.quantity
    return units


def build_refund(order: Order, lines: dict[int, int], amount: Money | None, reason: str
                 ) -> Refund:
    """A refund of `lines` (line id -> units), or amount-only when `lines` is empty.

    Refused before anything moves when it exceeds what is left to refund.
    """
    done = refunded_units(order)
    try:
        rlines = [refund_line(order.line(lid), qty, done.get(lid, 0)) for lid, qty in lines.items()]
    except KeyError as exc:
        raise RefundNotAllowed(str(exc.args[0])) from None
    if rlines:
        value = total((rl.amount + rl.tax for rl in rlines), order.currency)
    elif amount is not None:
        value = amount
    else:
        raise RefundNotAllowed("a refund needs lines or an amount")
    if value.is_zero() or value.amount < 0:
        raise RefundNotAllowed(f"a refund must be positive, got {value}")
    left = order.remaining_refundable()
    if value > left:
        raise RefundNotAllowed(f"refund of {value} exceeds the {left} left to refund on "
                               f"order {order.woo_id}")
    return Refund(order_woo_id=order.woo_id, amount=value, reason=reason, lines=rlines)


def tax_on_refunded_units(order: Order, refund: Refund) -> tuple[Money, Money, list[str]]:
    """(tax the order charged on the refunded units, tax refunded, their SKUs),
    over the refund's product lines. They differ when the merchant refunded
    goods without their tax, or part of it (WooCommerce allows both)."""
    charged = refunded = Money.zero(order.currency)
    skus: list[str] = []
    by_id = {line.line_id: line for line in order.lines}
    for rl in refund.lines:
        line = by_id.get(rl.line_id)
        if line is None or rl.quantity == 0:  # shipping, fees, money-only lines
            continue
        charged = charged + _units(line.total_tax, line.quantity, min(rl.quantity, line.quantity))
        refunded = refunded + rl.tax
        skus.append(rl.sku or line.sku or f"line-{line.line_id}")
    return charged, refunded, skus
