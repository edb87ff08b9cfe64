"""What the store may sell, and what to push (canonical/inventory.py)."""
from __future__ import annotations

from decimal import Decimal

from canonical.inventory import StoreItem, plan, sellable


def item(sku: str, qty: int | None, *, pid: int = 0, managed: bool = True,
         parent: int | None = None) -> StoreItem:
    return StoreItem(sku=sku, product_id=pid or abs(hash(sku)) % 10**6 + 1, parent_id=parent,
                     manage_stock=managed, stock_quantity=qty)


def test_sellable_is_available_minus_what_store_orders_hold_never_below_zero():
    assert sellable(Decimal("10"), 3) == 7
    assert sellable(Decimal("9.9"), 0) == 9  # whole units only, rounded down
    assert sellable(Decimal("2"), 5) == 0
    assert sellable(Decimal("-4"), 0) == 0  # forced shipments drive the forecast negative
    assert sellable(10, -3) == 10  # a hold is never a gift


def test_only_skus_whose_number_differs_are_pushed():
    got = plan({"A": 10, "B": 5, "C": 7}, {"A": 2},
               [item("A", 8), item("B", 4), item("C", 7)], ["A", "B", "C"])
    assert [(p.sku, p.before, p.quantity) for p in got.pushes] == [("B", 4, 5)]
    assert (got.compared, got.in_step) == (3, 2)
    assert got.sellable == {"A": 8, "B": 5, "C": 7}


def test_a_variation_is_pushed_under_its_parent():
    got = plan({"CAP-RED": 4}, {}, [item("CAP-RED", 1, pid=71, parent=70)], ["CAP-RED"])
    [push] = got.pushes
    assert (push.product_id, push.parent_id, push.quantity) == (71, 70, 4)


def test_what_cannot_be_compared_is_reported_not_pushed():
    store = [item("UNMANAGED", None, managed=False), item("STORE-ONLY", 3),
             item("TWICE", 1, pid=1), item("TWICE", 1, pid=2), item("NOT-STOCKED", None,
                                                                     managed=False)]
    got = plan({"UNMANAGED": 5, "ERP-ONLY": 9, "TWICE": 1}, {}, store, None)
    assert got.pushes == [] and got.compared == 0
    assert {(p.sku, p.kind) for p in got.problems} == {
        ("UNMANAGED", "not_managed"), ("STORE-ONLY", "not_in_erp"),
        ("ERP-ONLY", "not_in_store"), ("TWICE", "duplicate_sku")}


def test_a_full_comparison_looks_at_every_sku_either_side_knows():
    got = plan({"A": 1, "B": 2}, {}, [item("A", 0), item("B", 2), item("C", 1)], None)
    assert [p.sku for p in got.pushes] == ["A"]
    assert {p.sku for p in got.problems} == {"C"}
    assert (got.compared, got.in_step) == (2, 1)


def test_a_store_showing_a_negative_number_is_set_to_what_can_be_sold():
    got = plan({"A": 3}, {"A": 5}, [item("A", -2)], ["A"])
    assert [(p.before, p.quantity) for p in got.pushes] == [(-2, 0)]
