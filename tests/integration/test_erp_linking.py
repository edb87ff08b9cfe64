"""`backfill --mode link` on a real Tryton: sales another connector made
(no wooerp reference, the store order number as their reference) are given
the order's wooerp reference when exactly one matches the order."""
from __future__ import annotations

import random

import pytest

from systems.erp.port import SaleToLink
from systems.erp.tryton.adapter import TrytonErp
from tests.fixtures.erp import make_order, unique_ref

pytestmark = pytest.mark.tryton


async def other_connectors_sale(erp: TrytonErp, order) -> int:
    """A sale as another connector leaves it: the order number, no wooerp ref."""
    made = await erp.create_sale(order, unique_ref("other"))
    await erp.rpc.write("sale.sale", [made.erp_id], {"wooerp_ref": None})
    return made.erp_id


def an_order(shirts: int = 1):
    return make_order([("WOO-TSHIRT", shirts, "18.00")], woo_id=random.randrange(10**6, 10**9))


async def test_the_one_matching_sale_gets_the_wooerp_reference(erp: TrytonErp):
    order, ref = an_order(), unique_ref()
    sale_id = await other_connectors_sale(erp, order)
    wanted = SaleToLink(number=order.number, external_ref=ref, total=order.total)
    assert await erp.link_sales([wanted]) == [ref]
    assert (await erp.get_sale(ref)).erp_id == sale_id
    # Linked once: the sale now has a reference, so a repeat finds none to link.
    assert await erp.link_sales([wanted]) == []


async def test_an_order_number_two_sales_share_is_left_for_a_person(erp: TrytonErp):
    order, ref = an_order(), unique_ref()
    first = await other_connectors_sale(erp, order)
    second = await other_connectors_sale(erp, order)
    assert await erp.link_sales([SaleToLink(number=order.number, external_ref=ref,
                                            total=order.total)]) == []
    assert await erp.get_sale(ref) is None
    rows = await erp.rpc.read("sale.sale", [first, second], ["wooerp_ref"])
    assert [r["wooerp_ref"] for r in rows] == [None, None]


async def test_a_sale_of_another_total_is_another_order(erp: TrytonErp):
    order, ref = an_order(shirts=1), unique_ref()
    await other_connectors_sale(erp, order)
    bigger = an_order(shirts=3)
    assert await erp.link_sales([SaleToLink(number=order.number, external_ref=ref,
                                            total=bigger.total)]) == []
    assert await erp.get_sale(ref) is None
