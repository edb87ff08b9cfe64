"""Cancelling ERP sales past quotation: the OrderSaga's compensation when
WooCommerce cancels an order before it ships (against a real trytond)."""
from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from sandbox.warehouse import Warehouse
from systems.erp.errors import ErpCannotCancel, ErpRejectedError
from systems.erp.tryton.adapter import TrytonErp
from tests.fixtures.erp import make_order, unique_ref

pytestmark = pytest.mark.tryton

SKU = "WOO-HOODIE"


async def forecast(erp: TrytonErp) -> Decimal:
    return (await erp.stock_levels([SKU], forecast=True))[SKU]


async def confirmed_sale(erp: TrytonErp, quantity: int = 2):
    ref = unique_ref()
    await erp.create_sale(make_order([(SKU, quantity, "45.00")]), ref)
    sale = await erp.confirm_sale(ref)
    assert sale.state == "processing" and sale.shipments and sale.invoices
    return ref, sale


async def test_a_processing_sale_is_voided_and_its_stock_freed(erp):
    before = await forecast(erp)
    ref, confirmed = await confirmed_sale(erp, quantity=2)
    assert await forecast(erp) == before - 2
    assert confirmed.cancellable and not confirmed.cancelled

    sale = await erp.cancel_sale(ref)

    # Tryton cannot take a processing sale back to `cancelled`: it ends `done`
    # with nothing shipped and nothing invoiced, every document cancelled.
    assert sale.cancelled and sale.voided
    assert (sale.state, sale.shipment_state, sale.invoice_state) == ("done", "none", "none")
    assert [s.erp_id for s in sale.shipments] == [s.erp_id for s in confirmed.shipments]
    assert {s.state for s in sale.shipments} == {"cancelled"}
    assert [i.erp_id for i in sale.invoices] == [i.erp_id for i in confirmed.invoices]
    assert {i.state for i in sale.invoices} == {"cancelled"}
    assert not sale.shipped and not sale.invoiced
    assert await forecast(erp) == before
    # In the ERP the invoices are recorded as deliberately ignored, not lost.
    row, = await erp.rpc.read("sale.sale", [sale.erp_id], ["invoices_ignored"])
    assert row["invoices_ignored"] == [i.erp_id for i in sale.invoices]

    again = await erp.cancel_sale(ref)  # a retried compensation is a no-op
    assert again == sale
    with pytest.raises(ErpRejectedError, match="cancelled"):
        await erp.confirm_sale(ref)


async def test_the_warehouse_leaves_a_voided_sale_alone(erp):
    ref, confirmed = await confirmed_sale(erp, quantity=1)
    await erp.cancel_sale(ref)

    # No delays: this pass moves every open document in the shared ERP.
    report = await Warehouse(erp.rpc, ship_delay=0, invoice_delay=0).step()

    assert confirmed.shipments[0].erp_id not in report.shipped
    assert confirmed.invoices[0].erp_id not in report.invoices_posted
    sale = await erp.get_sale(ref)
    assert sale.voided and {d.state for d in [*sale.shipments, *sale.invoices]} == {"cancelled"}


async def test_a_shipped_sale_cannot_be_cancelled_and_is_left_untouched(erp):
    ref, confirmed = await confirmed_sale(erp, quantity=1)
    # The warehouse ships it; the accountant has not posted the invoice yet.
    report = await Warehouse(erp.rpc, ship_delay=0, invoice_delay=3600).step()
    assert confirmed.shipments[0].erp_id in report.shipped

    with pytest.raises(ErpCannotCancel) as refused:
        await erp.cancel_sale(ref)

    assert refused.value.type == "ErpCannotCancel" and not refused.value.retryable
    assert refused.value.state == "processing"
    assert "is done" in refused.value.reason
    sale = await erp.get_sale(ref)
    assert not sale.cancellable and not sale.cancelled
    assert [i.state for i in sale.invoices] == ["draft"]  # refused before touching anything


async def test_a_posted_invoice_blocks_cancelling(erp):
    ref, confirmed = await confirmed_sale(erp, quantity=1)
    await erp.rpc.button("account.invoice", "post", [confirmed.invoices[0].erp_id])

    with pytest.raises(ErpCannotCancel) as refused:
        await erp.cancel_sale(ref)

    assert "is posted" in refused.value.reason
    sale = await erp.get_sale(ref)
    assert [s.state for s in sale.shipments] == ["waiting"]


async def test_an_unprocessed_confirmed_sale_goes_back_to_draft_and_is_cancelled(erp):
    # A product without accounts makes Tryton's processing fail after the
    # confirm commits, so the sale stays `confirmed` with no documents yet.
    unit, = await erp.rpc.search("product.uom", [["name", "=", "Unit"]])
    sku = f"NO-ACCOUNTS-{uuid.uuid4().hex[:8]}"
    await erp.rpc.create("product.template", [{
        "name": "Unconfigured", "type": "goods", "salable": True, "list_price": Decimal(10),
        "default_uom": unit, "sale_uom": unit, "products": [["create", [{"suffix_code": sku}]]]}])
    ref = unique_ref()
    await erp.create_sale(make_order([(sku, 1, "10.00")], shipping=None), ref)
    confirmed = await erp.confirm_sale(ref)
    assert (confirmed.state, confirmed.shipments, confirmed.invoices) == ("confirmed", [], [])

    sale = await erp.cancel_sale(ref)

    assert sale.state == "cancelled" and sale.cancelled and not sale.voided
    assert (sale.shipments, sale.invoices) == ([], [])
    assert (await erp.cancel_sale(ref)).state == "cancelled"
