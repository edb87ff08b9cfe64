"""The ERP port against a real trytond server (the sandbox ERP)."""
from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

import pytest

from canonical.entities import RefundLine
from canonical.money import Money
from sandbox.catalog import CATALOG, STORE_ONLY
from sandbox.erp.instance import start_instance
from sandbox.warehouse import Warehouse
from systems.erp.errors import (
    ErpNotFound,
    ErpRejectedError,
    ErpRetryableError,
    ErpUnknownSku,
)
from systems.erp.port import ErpPort
from systems.erp.tryton.adapter import TrytonErp
from tests.fixtures.erp import make_order, unique_ref

pytestmark = pytest.mark.tryton


def usd(value: str) -> Money:
    return Money.of(value, "USD")


async def test_the_adapter_is_an_erp_port(erp: TrytonErp):
    assert isinstance(erp, ErpPort)
    mug = await erp.product_by_sku("WOO-MUG")
    assert (mug.sku, mug.kind, mug.list_price) == ("WOO-MUG", "goods", usd("12.50"))
    assert await erp.product_by_sku(STORE_ONLY[0].sku) is None


async def test_four_concurrent_creates_of_one_order_make_one_sale(tryton_server, erp):
    order, ref = make_order([("WOO-TSHIRT", 2, "18.00")]), unique_ref()
    racers = [TrytonErp.connect(tryton_server.url, tryton_server.database,
                                tryton_server.user, tryton_server.password(), timeout=60)
              for _ in range(4)]
    try:
        await asyncio.gather(*(r.rpc.login() for r in racers))  # so they race on the sale
        sales = await asyncio.gather(*(r.create_sale(order, ref) for r in racers))
    finally:
        await asyncio.gather(*(r.aclose() for r in racers))
    assert len({s.erp_id for s in sales}) == 1
    assert await erp.rpc.search("sale.sale", [["wooerp_ref", "=", ref]]) == [sales[0].erp_id]
    # 36.00 net + shipping 5.00, 10% tax on both, as the store charged it.
    sale = await erp.get_sale(ref)
    assert (sale.state, sale.untaxed, sale.tax, sale.total) == (
        "quotation", usd("41.00"), usd("4.10"), usd("45.10"))
    assert sale.total == order.total
    # A repeat after the race is a read, not a write.
    assert (await erp.create_sale(order, ref)).erp_id == sale.erp_id


async def test_four_concurrent_acceptances_in_calls_make_one_confirmed_sale_for_the_given_party(
        tryton_server, erp):
    """accept_sale without the one-call module: the party validation found is
    the sale's party (not resolved again), and racing retries make one sale."""
    order, ref = make_order([("WOO-MUG", 1, "12.50")]), unique_ref()
    # A party other than the one the order's e-mail would find: it is used as given.
    other = order.customer.model_copy(update={"email": f"other-{uuid.uuid4().hex[:10]}@example.com"})
    party = await erp.ensure_party(other, order.billing, order.shipping)
    racers = [TrytonErp.connect(tryton_server.url, tryton_server.database,
                                tryton_server.user, tryton_server.password(), timeout=60,
                                one_call=False)
              for _ in range(4)]
    try:
        await asyncio.gather(*(r.rpc.login() for r in racers))
        sales = await asyncio.gather(*(r.accept_sale(order, ref, party_id=party)
                                       for r in racers))
    finally:
        await asyncio.gather(*(r.aclose() for r in racers))
    assert len({s.erp_id for s in sales}) == 1
    assert {s.state for s in sales} <= {"confirmed", "processing"}
    assert await erp.rpc.search("sale.sale", [["wooerp_ref", "=", ref]]) == [sales[0].erp_id]
    row, = await erp.rpc.read("sale.sale", [sales[0].erp_id], ["party"])
    assert row["party"] == party
    assert (await erp.accept_sale(order, ref, party_id=party)).erp_id == sales[0].erp_id


async def test_acceptance_is_one_erp_call_with_the_module_and_falls_back_without(
        tryton_server, erp, monkeypatch):
    """With wooerp_link the whole acceptance is one RPC; a Tryton that does not
    offer it (HTTP 403) gets the multi-call path, chosen once for good."""
    order, ref = make_order([("WOO-MUG", 2, "25.00")]), unique_ref()
    calls: list[str] = []
    real_call = erp.rpc.call

    async def counting(method, *params):
        calls.append(method)
        return await real_call(method, *params)

    monkeypatch.setattr(erp.rpc, "call", counting)
    sale = await erp.accept_sale(order, ref)
    assert calls == ["model.sale.sale.wooerp_accept"]
    assert sale.state == "processing" and sale.total == order.total and sale.shipments

    from systems.erp.tryton import accept
    monkeypatch.setattr(accept, "METHOD", "wooerp_accept_not_installed")
    other = TrytonErp.connect(tryton_server.url, tryton_server.database, tryton_server.user,
                              tryton_server.password(), timeout=60)
    try:
        fallback_ref = unique_ref()
        sale = await other.accept_sale(order, fallback_ref)
        assert sale.state in ("confirmed", "processing") and sale.external_ref == fallback_ref
        assert other._one_call is False  # asked once, not on every order
    finally:
        await other.aclose()


async def test_the_database_refuses_a_second_sale_with_the_same_reference(erp):
    ref = unique_ref()
    sale = await erp.create_sale(make_order([("WOO-MUG", 1, "12.50")]), ref)
    row, = await erp.rpc.read("sale.sale", [sale.erp_id], ["party", "invoice_address",
                                                        "shipment_address"])
    with pytest.raises(ErpRejectedError, match="already exists for this wooerp reference"):
        await erp.rpc.create("sale.sale", [{**{k: v for k, v in row.items() if k != "id"},
                                            "wooerp_ref": ref}])


async def test_cancel_a_quoted_sale_and_confirm_idempotently(erp):
    # Cancelling confirmed and processing sales: tests/test_erp_cancel.py.
    quoted_ref, confirmed_ref = unique_ref(), unique_ref()
    await erp.create_sale(make_order([("WOO-MUG", 1, "12.50")]), quoted_ref)
    assert (await erp.cancel_sale(quoted_ref)).state == "cancelled"
    assert (await erp.cancel_sale(quoted_ref)).state == "cancelled"  # idempotent
    with pytest.raises(ErpRejectedError):
        await erp.confirm_sale(quoted_ref)

    await erp.create_sale(make_order([("WOO-MUG", 1, "12.50")]), confirmed_ref)
    sale = await erp.confirm_sale(confirmed_ref)
    assert sale.state == "processing" and sale.shipments and sale.invoices
    assert (await erp.confirm_sale(confirmed_ref)).erp_id == sale.erp_id  # idempotent
    with pytest.raises(ErpNotFound):
        await erp.cancel_sale(unique_ref())


async def test_a_restocked_return_posts_a_credit_note_and_brings_stock_back(erp):
    ref, refund_ref = unique_ref(), unique_ref("refund")
    await erp.create_sale(make_order([("WOO-CAP-BLUE", 2, "20.00")]), ref)
    await erp.confirm_sale(ref)
    before = (await erp.stock_levels(["WOO-CAP-BLUE"]))["WOO-CAP-BLUE"]
    line = RefundLine(line_id=1, sku="WOO-CAP-BLUE", quantity=1, amount=usd("20.00"),
                      tax=usd("2.00"))

    note = await erp.create_credit_note(ref, refund_ref, [line], restock=True)

    assert note.posted and note.invoice.kind == "credit_note"
    assert note.invoice.total == usd("-22.00") == note.total
    assert note.restocked and [s.state for s in note.return_shipments] == ["done"]
    assert (await erp.stock_levels(["WOO-CAP-BLUE"]))["WOO-CAP-BLUE"] == before + 1
    again = await erp.create_credit_note(ref, refund_ref, [line], restock=True)
    assert (again.erp_id, again.invoice.erp_id) == (note.erp_id, note.invoice.erp_id)
    assert (await erp.stock_levels(["WOO-CAP-BLUE"]))["WOO-CAP-BLUE"] == before + 1


async def test_refunds_without_restock_move_no_goods(erp):
    ref = unique_ref()
    await erp.create_sale(make_order([("WOO-POSTER", 1, "9.99")]), ref)
    await erp.confirm_sale(ref)
    before = await erp.stock_levels(["WOO-POSTER"])
    kept = RefundLine(line_id=1, sku="WOO-POSTER", quantity=1, amount=usd("9.99"),
                      tax=usd("1.00"))
    note = await erp.create_credit_note(ref, unique_ref("refund"), [kept], restock=False)
    goodwill = await erp.create_credit_note(ref, unique_ref("refund"), [], restock=False,
                                            amount=usd("3.50"))
    assert note.posted and not note.restocked and not note.return_shipments
    assert note.total == usd("-10.99")
    assert goodwill.posted and goodwill.total == usd("-3.50")
    assert await erp.stock_levels(["WOO-POSTER"]) == before
    with pytest.raises(ErpNotFound):
        await erp.create_credit_note(unique_ref(), unique_ref("refund"), [kept], restock=False)


async def test_stock_levels_and_the_warehouse_moving_an_order(tryton_server, erp):
    # The ERP is shared by the session's tests: compare with what it holds now.
    levels = await erp.stock_levels(["WOO-HOODIE", "SHIPPING", "NO-SUCH-SKU"])
    assert set(levels) == {"WOO-HOODIE"}  # services and unknown SKUs have no stock
    before = levels["WOO-HOODIE"]
    assert 0 < before <= next(i.stock for i in CATALOG if i.sku == "WOO-HOODIE")
    forecast = (await erp.stock_levels(["WOO-HOODIE"], forecast=True))["WOO-HOODIE"]

    ref = unique_ref()
    await erp.create_sale(make_order([("WOO-HOODIE", 3, "45.00")]), ref)
    sale = await erp.confirm_sale(ref)
    assert await erp.stock_levels(["WOO-HOODIE"], forecast=True) == {"WOO-HOODIE": forecast - 3}
    warehouse = Warehouse(erp.rpc, ship_delay=0, invoice_delay=0, receive_returns=False)
    report = await warehouse.step()

    assert sale.shipments[0].erp_id in report.shipped
    assert sale.invoices[0].erp_id in report.invoices_posted
    sale = await erp.get_sale(ref)
    assert sale.shipped and sale.invoiced and sale.invoices[0].number
    # Shipping moves on-hand stock (the step ships every open shipment of the
    # shared ERP, so at least our 3) and leaves the forecast where it was.
    assert (await erp.stock_levels(["WOO-HOODIE"]))["WOO-HOODIE"] <= before - 3
    assert await erp.stock_levels(["WOO-HOODIE"], forecast=True) == {"WOO-HOODIE": forecast - 3}


async def test_the_warehouse_waits_its_delay(erp):
    ref, now = unique_ref(), [0.0]
    await erp.create_sale(make_order([("WOO-TSHIRT", 1, "18.00")]), ref)
    sale = await erp.confirm_sale(ref)
    warehouse = Warehouse(erp.rpc, ship_delay=60, invoice_delay=60, clock=lambda: now[0])
    assert sale.shipments[0].erp_id not in (await warehouse.step()).shipped
    now[0] = 61.0
    assert sale.shipments[0].erp_id in (await warehouse.step()).shipped


async def test_an_unknown_sku_is_rejected_and_names_the_sku(erp):
    ref = unique_ref()
    order = make_order([("WOO-MUG", 1, "12.50"), (STORE_ONLY[0].sku, 1, "30.00")])
    with pytest.raises(ErpUnknownSku) as rejected:
        await erp.create_sale(order, ref)
    assert isinstance(rejected.value, ErpRejectedError) and not rejected.value.retryable
    assert STORE_ONLY[0].sku in str(rejected.value)
    assert await erp.get_sale(ref) is None


async def test_tryton_user_errors_keep_their_message(erp):
    ref = unique_ref()
    sale = await erp.create_sale(make_order([("WOO-MUG", 1, "12.50")]), ref)
    with pytest.raises(ErpRejectedError) as rejected:
        await erp.rpc.button("sale.sale", "process", [sale.erp_id])  # not a quoted sale's button
    assert rejected.value.type == "ErpRejectedError"
    assert "process" in rejected.value.message


async def test_an_expired_session_logs_in_again(erp):
    erp.rpc._auth = "Session " + "bm9ib2R5OjE6bm9wZQ=="  # nobody:1:nope
    assert await erp.product_by_sku("WOO-MUG") is not None
    assert (await erp.stock_levels(["WOO-MUG"]))["WOO-MUG"] >= 0


async def test_an_unreachable_erp_is_retryable(tryton_server):
    from sandbox.erp.instance import free_port

    down = TrytonErp.connect(f"http://127.0.0.1:{free_port()}", "wooerp", "admin", "x",
                             timeout=2)
    try:
        with pytest.raises(ErpRetryableError) as failed:
            await down.get_sale("order:x")
    finally:
        await down.aclose()
    assert failed.value.type == "ErpRetryableError" and failed.value.retryable


async def test_a_second_start_reuses_the_cached_template(tryton_server, tmp_path):
    server, connection, built = start_instance(tmp_path, templates_dir=tryton_server.templates_dir)
    try:
        assert not built
        assert (tmp_path / "db" / "key").read_text() == \
            (tryton_server.data_dir / "db" / "key").read_text()
        erp = TrytonErp.from_password_file(connection.url, connection.database, connection.user,
                                           connection.password_file)
        try:
            assert await erp.stock_levels(["WOO-MUG"]) == {"WOO-MUG": Decimal(50)}
        finally:
            await erp.aclose()
    finally:
        server.stop()
