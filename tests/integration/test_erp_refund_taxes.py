"""Credit notes carry the tax the store actually refunded (real Tryton).

WooCommerce lets a merchant refund a line without its tax, or with part of
it. Tryton warns that such a credit note "does not have the default taxes";
the adapter answers that warning (the choice is the store's) and books the
refunded tax exactly, instead of parking the refund on ErpWarning."""
from __future__ import annotations

import pytest

from canonical.entities import RefundLine
from canonical.money import Money
from systems.erp.errors import ErpWarning
from systems.erp.tryton.adapter import TrytonErp
from tests.fixtures.erp import make_order, unique_ref

pytestmark = pytest.mark.tryton


def usd(value: str) -> Money:
    return Money.of(value, "USD")


async def booked_sale(erp: TrytonErp) -> str:
    ref = unique_ref()
    await erp.create_sale(make_order([("WOO-POSTER", 2, "9.99")], shipping=None), ref)
    await erp.confirm_sale(ref)
    return ref


async def credit_note_taxes(erp: TrytonErp, invoice_id: int) -> list[dict]:
    row, = await erp.rpc.read("account.invoice", [invoice_id], ["taxes", "tax_amount"])
    return await erp.rpc.read("account.invoice.tax", row["taxes"], ["amount", "base", "manual"])


async def test_a_line_refunded_without_its_tax_posts_a_credit_note_without_tax(erp):
    ref = await booked_sale(erp)
    untaxed = RefundLine(line_id=1, sku="WOO-POSTER", quantity=1, amount=usd("9.99"),
                         tax=usd("0"))
    note = await erp.create_credit_note(ref, unique_ref("refund"), [untaxed], restock=False)
    assert note.posted and note.total == usd("-9.99") == note.invoice.total
    assert await credit_note_taxes(erp, note.invoice.erp_id) == []


async def test_a_line_refunded_with_part_of_its_tax_books_that_part(erp):
    ref, refund_ref = await booked_sale(erp), unique_ref("refund")
    half = RefundLine(line_id=1, sku="WOO-POSTER", quantity=1, amount=usd("9.99"),
                      tax=usd("0.50"))
    note = await erp.create_credit_note(ref, refund_ref, [half], restock=False)
    assert note.posted and note.total == usd("-10.49")
    [tax] = await credit_note_taxes(erp, note.invoice.erp_id)
    assert tax["manual"] and (tax["base"], tax["amount"]) == (usd("-9.99").amount,
                                                              usd("-0.50").amount)
    again = await erp.create_credit_note(ref, refund_ref, [half], restock=False)
    assert again.invoice.erp_id == note.invoice.erp_id and again.total == note.total


async def test_a_line_refunded_with_its_full_tax_keeps_the_sales_tax(erp):
    ref = await booked_sale(erp)
    full = RefundLine(line_id=1, sku="WOO-POSTER", quantity=1, amount=usd("9.99"),
                      tax=usd("1.00"))
    note = await erp.create_credit_note(ref, unique_ref("refund"), [full], restock=False)
    assert note.total == usd("-10.99")
    [tax] = await credit_note_taxes(erp, note.invoice.erp_id)
    assert not tax["manual"] and tax["amount"] == usd("-1.00").amount


async def test_other_warnings_are_not_answered_for_the_store(erp, monkeypatch):
    """Only the taxes warning is the store's choice: another one still stops the post."""
    ref = await booked_sale(erp)
    calls = []

    async def warn(self, model, record_id, button, from_states):
        calls.append(button)
        if model == "account.invoice":
            raise ErpWarning("abc.invoice_date_future", "The invoices have a date in the future.")
        return await original(self, model, record_id, button, from_states)

    from systems.erp.tryton.documents import Documents
    original = Documents.advance
    monkeypatch.setattr(Documents, "advance", warn)
    line = RefundLine(line_id=1, sku="WOO-POSTER", quantity=1, amount=usd("9.99"), tax=usd("0"))
    with pytest.raises(ErpWarning, match="future"):
        await erp.create_credit_note(ref, unique_ref("refund"), [line], restock=False)
    assert calls.count("post") == 1  # asked once, not acknowledged and asked again
