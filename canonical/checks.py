"""Business checks on an order before it may be booked."""
from __future__ import annotations

from canonical.entities import Order
from canonical.money import Money, total


def total_problems(order: Order, tolerance: Money) -> list[str]:
    """Totals and tax must re-add within the tolerance, or finance will not agree."""
    problems = []
    readd = order.computed_total()
    if abs((readd - order.total).amount) > tolerance.amount:
        problems.append(f"lines re-add to {readd}, WooCommerce says {order.total}")
    parts = [*order.lines, *order.shipping_lines, *order.fee_lines]
    tax = total((p.total_tax for p in parts), order.currency)
    if abs((tax - order.total_tax).amount) > tolerance.amount:
        problems.append(f"line taxes re-add to {tax}, WooCommerce says {order.total_tax}")
    return problems
