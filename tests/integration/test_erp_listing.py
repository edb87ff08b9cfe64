"""Listing wooerp sales for reconciliation, on a real trytond server: by
prefix and creation window or by references, paged, with lines, documents
and credit notes, in the same few reads whatever the page size."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from canonical.entities import RefundLine
from canonical.money import Money
from canonical.reconcile import ErpDocument, StoreOrder
from systems.erp.tryton.adapter import TrytonErp
from tests.fixtures.erp import make_order

pytestmark = pytest.mark.tryton


def usd(value: str) -> Money:
    return Money.of(value, "USD")


async def _booked(erp: TrytonErp, prefix: str, n: int, **kwargs):
    order = make_order([("WOO-MUG", 2, "12.50"), ("WOO-TSHIRT", 1, "18.00")], woo_id=n,
                       **kwargs)
    ref = f"{prefix}{n}"
    await erp.create_sale(order, ref)
    await erp.confirm_sale(ref)
    return order, ref


class Counting:
    """Counts the JSON-RPC calls an adapter makes."""

    def __init__(self, erp: TrytonErp) -> None:
        self.calls = 0
        inner = erp.rpc.call

        async def call(method, *params):
            self.calls += 1
            return await inner(method, *params)
        erp.rpc.call = call  # type: ignore[method-assign]


async def test_a_page_of_sales_comes_with_lines_documents_and_credit_notes(tryton_server, erp):
    prefix = f"woo:l{uuid.uuid4().hex[:8]}:"
    before = datetime.now(timezone.utc) - timedelta(seconds=5)
    plain, plain_ref = await _booked(erp, prefix, 1)
    fees, fees_ref = await _booked(erp, prefix, 2, fee="1.50")
    _, third_ref = await _booked(erp, prefix, 3, shipping=None)
    line = RefundLine(line_id=1, sku="WOO-MUG", quantity=1, amount=usd("12.50"),
                      tax=usd("1.25"))
    await erp.create_credit_note(plain_ref, f"refund:{prefix}1:1", [line], restock=False)

    first = await erp.list_sales(prefix=prefix, created_from=before, limit=2)
    assert [s.external_ref for s in first.sales] == [plain_ref, fees_ref]
    assert first.next_offset == 2
    rest = await erp.list_sales(prefix=prefix, created_from=before, offset=2, limit=2)
    assert [s.external_ref for s in rest.sales] == [third_ref] and rest.next_offset is None

    sale = first.sales[1]
    assert [(l.component, l.sku, l.amount) for l in sale.lines] == [
        ("items", "WOO-MUG", usd("25.00")), ("items", "WOO-TSHIRT", usd("18.00")),
        ("shipping", "SHIPPING", usd("5.00")), ("fees", "FEE", usd("1.50"))]
    assert sale.created_at is not None and before <= sale.created_at <= datetime.now(timezone.utc)
    assert sale.invoices and sale.shipments  # confirmed: the ERP made both

    [note] = first.credit_notes
    assert (note.sale_external_ref, note.refund_ref, note.total) == (
        plain_ref, f"refund:{prefix}1:1", usd("-13.75"))
    assert note.posted

    # What the store said and what the ERP booked agree, component by component.
    for order, booked, notes in ((plain, first.sales[0], [note]), (fees, sale, [])):
        s, e = StoreOrder.of(order), ErpDocument.of(booked, notes)
        assert (s.items, s.shipping, s.fees, s.tax, s.total) == (
            e.items, e.shipping, e.fees, e.tax, e.total)
    assert ErpDocument.of(first.sales[0], [note]).credited == Decimal("13.75")


async def test_by_references_and_outside_the_window(erp):
    prefix = f"woo:r{uuid.uuid4().hex[:8]}:"
    _, ref = await _booked(erp, prefix, 7)
    found = await erp.list_sales(refs=[ref, f"{prefix}404"])
    assert [s.external_ref for s in found.sales] == [ref]
    later = datetime.now(timezone.utc) + timedelta(minutes=5)
    assert (await erp.list_sales(prefix=prefix, created_from=later)).sales == []
    assert (await erp.list_sales(refs=[])).sales == []
    with pytest.raises(ValueError):
        await erp.list_sales()


async def test_a_page_costs_the_same_few_reads_whatever_its_size(tryton_server):
    prefix = f"woo:c{uuid.uuid4().hex[:8]}:"
    erp = TrytonErp.connect(tryton_server.url, tryton_server.database, tryton_server.user,
                            tryton_server.password(), timeout=60)
    try:
        for n in range(1, 4):
            await _booked(erp, prefix, n, fee="1.00")
        await erp.list_sales(prefix=prefix, limit=1)  # warm the currency/product caches
        counter = Counting(erp)
        await erp.list_sales(prefix=prefix, limit=1)
        for_one, counter.calls = counter.calls, 0
        page = await erp.list_sales(prefix=prefix, limit=3)
        assert len(page.sales) == 3
        assert counter.calls == for_one <= 8, (for_one, counter.calls)
    finally:
        await erp.aclose()
