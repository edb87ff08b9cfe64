"""What the ERP can still promise, read from a real Tryton: on hand minus
what confirmed sales reserved (forecast_quantity in the warehouse), for some
SKUs or every stocked product; a shipment does not change it twice."""
from __future__ import annotations

import uuid
from decimal import Decimal

from sandbox.erp.stock_admin import adjust, create_stocked_products
from sandbox.warehouse import Warehouse
from tests.fixtures.erp import make_order, unique_ref


async def test_available_is_on_hand_minus_confirmed_sales_and_shipping_keeps_it(erp):
    sku = f"AVAIL-{uuid.uuid4().hex[:8].upper()}"
    ids = await create_stocked_products(erp.rpc, [sku], Decimal("5.00"), 10)
    assert await erp.available_stock([sku, "NO-SUCH-SKU", "SHIPPING"]) == {sku: Decimal(10)}

    ref = unique_ref()
    await erp.create_sale(make_order([(sku, 3, "5.00")]), ref)
    sale = await erp.confirm_sale(ref)
    assert (await erp.available_stock([sku]))[sku] == 7  # reserved, still on hand
    assert (await erp.stock_levels([sku]))[sku] == 10

    await adjust(erp.rpc, {ids[sku]: 4})  # a delivery of 4
    assert (await erp.available_stock([sku]))[sku] == 11

    await Warehouse(erp.rpc, ship_delay=0, invoice_delay=0, receive_returns=False).step()
    assert (await erp.get_sale(ref)).shipped and sale.shipments
    assert (await erp.available_stock([sku]))[sku] == 11  # gone from the shelf, counted once
    assert (await erp.stock_levels([sku]))[sku] == 11

    every = await erp.available_stock(None)
    assert every[sku] == 11 and "SHIPPING" not in every
