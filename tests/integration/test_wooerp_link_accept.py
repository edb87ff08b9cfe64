"""`sale.sale.wooerp_accept`: a store order accepted in one RPC, over real JSON-RPC.

One call finds or creates the party, books the sale with its lines, quotes,
confirms and processes it in one ERP transaction, idempotently by the
wooerp reference; it must book exactly what the multi-call path
(TrytonErp.create_sale + confirm_sale) books for the same order.

These tests run on a Tryton of their own: the shared session ERP's
warehouse test ships every open shipment, and need not ship theirs.
"""
from __future__ import annotations

import asyncio
import sqlite3
from decimal import Decimal

import pytest

from canonical.entities import Address
from canonical.money import Money
from sandbox.catalog import STORE_ONLY
from systems.erp.errors import ErpRejectedError
from systems.erp.tryton.adapter import TrytonErp
from sandbox.erp.instance import start_instance
from tests.fixtures.erp import TrytonServerInfo, make_order, tryton_templates_dir, unique_ref
from systems.erp.tryton.accept import accept_payload

pytestmark = pytest.mark.tryton

SALE_FIELDS = ["party", "invoice_address", "shipment_address", "currency", "reference",
               "description", "invoice_method", "shipment_method", "state", "shipment_state",
               "invoice_state", "untaxed_amount", "tax_amount", "total_amount", "lines",
               "shipments", "invoices", "wooerp_ref"]
LINE_FIELDS = ["type", "product", "description", "quantity", "unit", "unit_price", "taxes",
               "amount"]


@pytest.fixture(scope="module")
def tryton_server(tmp_path_factory) -> TrytonServerInfo:
    data_dir, templates = tmp_path_factory.mktemp("erp-accept"), tryton_templates_dir()
    server, connection, built = start_instance(data_dir, templates_dir=templates)
    try:
        yield TrytonServerInfo(connection, server, data_dir, templates, built)
    finally:
        server.stop()


@pytest.fixture(scope="module")
async def erp(tryton_server: TrytonServerInfo) -> TrytonErp:
    adapter = TrytonErp.connect(tryton_server.url, tryton_server.database,
                                tryton_server.user, tryton_server.password(), timeout=60)
    try:
        yield adapter
    finally:
        await adapter.aclose()


async def accept(erp: TrytonErp, ref: str, order) -> dict:
    return await erp.rpc.execute("sale.sale", "wooerp_accept", ref, accept_payload(order))


def rich_order(email: str):
    """Two goods lines (one discounted to an uneven unit price, one the store
    did not tax), shipping and a fee, and a shipping address elsewhere."""
    order = make_order([("WOO-MUG", 3, "10.00"), ("WOO-CAP-BLUE", 1, "20.00")],
                       shipping="5.00", fee="2.00", email=email)
    mug, cap = order.lines
    usd = lambda v: Money.of(v, "USD")  # noqa: E731
    lines = [mug.model_copy(update={"total": usd("29.99"), "total_tax": usd("3.00")}),
             cap.model_copy(update={"total_tax": usd("0.00")})]
    shipping = Address(first_name="Grace", last_name="Hopper", address_1="1 Navy Yard",
                       address_2="Building 4", city="Arlington", postcode="22202",
                       country="US")
    return order.model_copy(update={"lines": lines, "shipping": shipping})


async def test_one_call_books_quotes_and_confirms_the_sale(erp):
    ref = unique_ref()
    result = await accept(erp, ref, make_order([("WOO-MUG", 2, "12.50")], shipping="5.00"))

    assert result["created"] is True and result["external_ref"] == ref
    assert (result["state"], result["shipment_state"], result["invoice_state"]) == \
        ("processing", "waiting", "pending")
    assert [s["state"] for s in result["shipments"]] == ["waiting"]
    assert [(i["state"], i["kind"], i["total_amount"]) for i in result["invoices"]] == \
        [("draft", "invoice", Decimal("33.00"))]
    assert (result["untaxed_amount"], result["tax_amount"], result["total_amount"],
            result["currency"]) == (Decimal("30.00"), Decimal("3.00"), Decimal("33.00"), "USD")
    sale = await erp.get_sale(ref)  # what the adapter reads back agrees
    assert (sale.erp_id, sale.number, sale.state) == (result["id"], result["number"], "processing")


async def test_a_repeat_returns_the_sale_already_made(erp):
    ref, order = unique_ref(), make_order([("WOO-POSTER", 1, "9.99")])
    first = await accept(erp, ref, order)
    again = await accept(erp, f" {ref} ", order)  # the reference as Tryton stores it
    assert again["created"] is False
    assert {k: v for k, v in again.items() if k != "created"} == \
        {k: v for k, v in first.items() if k != "created"}
    assert await erp.rpc.search("sale.sale", [["wooerp_ref", "=", ref]]) == [first["id"]]


@pytest.mark.parametrize("known_customer", [False, True], ids=["new-customer", "known-customer"])
async def test_four_racing_callers_make_one_sale_and_one_party(tryton_server, erp,
                                                               known_customer):
    ref = unique_ref()
    order = make_order([("WOO-TSHIRT", 1, "18.00")])
    if known_customer:  # the party exists: the racers collide on the sale itself
        await accept(erp, unique_ref(), order)
    racers = [TrytonErp.connect(tryton_server.url, tryton_server.database, tryton_server.user,
                                tryton_server.password(), timeout=60) for _ in range(4)]
    try:
        await asyncio.gather(*(r.rpc.login() for r in racers))
        results = await asyncio.gather(*(accept(r, ref, order) for r in racers))
    finally:
        await asyncio.gather(*(r.aclose() for r in racers))
    assert len({r["id"] for r in results}) == 1
    assert sum(r["created"] for r in results) == 1
    assert all(r["state"] == "processing" for r in results)
    assert await erp.rpc.search("sale.sale", [["wooerp_ref", "=", ref]]) == [results[0]["id"]]
    key = f"email:{order.customer.email}"
    assert len(await erp.rpc.search("party.party", [["wooerp_ref", "=", key]])) == 1


async def test_an_unknown_sku_is_a_user_error_that_books_nothing(erp):
    ref, sku = unique_ref(), STORE_ONLY[0].sku
    order = make_order([("WOO-MUG", 1, "12.50"), (sku, 1, "30.00")])
    with pytest.raises(ErpRejectedError) as rejected:
        await accept(erp, ref, order)
    assert rejected.value.description == f"wooerp:unknown_sku:{sku}"
    assert sku in rejected.value.message
    # One transaction: not even the new customer's party was kept.
    assert await erp.get_sale(ref) is None
    assert await erp.rpc.search(
        "party.party", [["wooerp_ref", "=", f"email:{order.customer.email}"]]) == []


async def test_malformed_orders_and_references_are_refused_in_words(erp):
    payload = accept_payload(make_order([("WOO-MUG", 1, "12.50")]))
    with pytest.raises(ErpRejectedError) as bad_quantity:
        await erp.rpc.execute("sale.sale", "wooerp_accept", unique_ref(),
                              {**payload, "lines": [{**payload["lines"][0], "quantity": 0}]})
    assert bad_quantity.value.description == "wooerp:invalid_order"
    assert "quantity" in bad_quantity.value.message
    with pytest.raises(ErpRejectedError) as bad_ref:
        await erp.rpc.execute("sale.sale", "wooerp_accept", "x" * 256, payload)
    assert bad_ref.value.description == "wooerp:invalid_reference"
    with pytest.raises(ErpRejectedError) as bad_currency:
        await erp.rpc.execute("sale.sale", "wooerp_accept", unique_ref(),
                              {**payload, "currency": "XXX"})
    assert bad_currency.value.description == "wooerp:unknown_currency"


async def test_a_sale_the_multi_call_path_left_quoted_is_confirmed(erp):
    ref, order = unique_ref(), make_order([("WOO-MUG", 1, "12.50")])
    quoted = await erp.create_sale(order, ref)  # a crash before confirm_sale
    assert quoted.state == "quotation"
    result = await accept(erp, ref, order)
    assert (result["id"], result["created"], result["state"]) == (quoted.erp_id, False, "processing")


async def test_a_cancelled_sale_is_not_confirmed_again(erp):
    ref, order = unique_ref(), make_order([("WOO-MUG", 1, "12.50")])
    await accept(erp, ref, order)
    await erp.cancel_sale(ref)  # voided: processing, nothing shipped
    with pytest.raises(ErpRejectedError) as rejected:
        await accept(erp, ref, order)
    assert rejected.value.description == "wooerp:sale_cancelled"


async def test_no_redundant_process_task_is_left_queued(tryton_server, erp):
    """confirm queues `process`; the one call processes inline and drops it."""
    result = await accept(erp, unique_ref(), make_order([("WOO-MUG", 1, "12.50")]))
    with sqlite3.connect(tryton_server.data_dir / "db" / "wooerp.sqlite") as db:
        rows = db.execute("SELECT data FROM ir_queue").fetchall()
    db.close()
    processing_ours = [d for (d,) in rows
                       if '"model":"sale.sale"' in d and f'"instances":[{result["id"]}]' in d]
    assert processing_ours == []


async def test_it_books_what_the_multi_call_path_books(erp):
    multi_ref, one_ref = unique_ref(), unique_ref()
    multi_order = rich_order(f"{unique_ref('multi')[-12:]}@example.com")
    one_order = rich_order(f"{unique_ref('one')[-12:]}@example.com")

    await erp.create_sale(multi_order, multi_ref)
    multi = await erp.confirm_sale(multi_ref)
    one = await accept(erp, one_ref, one_order)

    assert (one["state"], one["shipment_state"], one["invoice_state"]) == \
        (multi.state, multi.shipment_state, multi.invoice_state)
    assert (one["untaxed_amount"], one["tax_amount"], one["total_amount"]) == \
        (multi.untaxed.amount, multi.tax.amount, multi.total.amount)
    assert [(i["state"], i["total_amount"]) for i in one["invoices"]] == \
        [(i.state, i.total.amount) for i in multi.invoices]
    a, b = await _booked(erp, multi.erp_id), await _booked(erp, one["id"])
    assert b == a
    assert a["sale"]["shipment_address"] != a["sale"]["invoice_address"]
    assert any(line["taxes"] for line in a["lines"]) and not all(l["taxes"] for l in a["lines"])

    # A second order of that customer: the same party and the same addresses.
    again = await accept(erp, unique_ref(), multi_order)
    row, = await erp.rpc.read("sale.sale", [again["id"]],
                              ["party", "invoice_address", "shipment_address"])
    first, = await erp.rpc.read("sale.sale", [multi.erp_id],
                                ["party", "invoice_address", "shipment_address"])
    assert {k: row[k] for k in first if k != "id"} == {k: v for k, v in first.items() if k != "id"}


async def _booked(erp: TrytonErp, sale_id: int) -> dict:
    """Everything a sale booked, with ids of per-order records replaced by content."""
    sale, = await erp.rpc.read("sale.sale", [sale_id], SALE_FIELDS)
    party, = await erp.rpc.read("party.party", [sale["party"]],
                                ["name", "contact_mechanisms", "addresses", "wooerp_ref"])
    addresses = await erp.rpc.read(
        "party.address", party["addresses"],
        ["party_name", "street_unstructured", "postal_code", "city", "country"])
    contacts = await erp.rpc.read("party.contact_mechanism", party["contact_mechanisms"],
                                  ["type", "value"])
    lines = await erp.rpc.read("sale.line", sale["lines"], LINE_FIELDS)
    invoice_lines = []
    for invoice in await erp.rpc.read("account.invoice", sale["invoices"], ["lines"]):
        invoice_lines += await erp.rpc.read(
            "account.invoice.line", invoice["lines"],
            ["product", "quantity", "unit_price", "taxes", "amount", "description"])
    moves = []
    for shipment in await erp.rpc.read("stock.shipment.out", sale["shipments"],
                                       ["outgoing_moves"]):
        moves += await erp.rpc.read("stock.move", shipment["outgoing_moves"],
                                    ["product", "quantity", "unit_price", "state"])
    address_by_id = {a.pop("id"): a for a in addresses}

    def strip(rows):
        return [{k: v for k, v in r.items() if k != "id"} for r in rows]

    return {
        "sale": {**{k: v for k, v in sale.items()
                    if k not in ("id", "party", "lines", "shipments", "invoices", "wooerp_ref",
                                 "invoice_address", "shipment_address")},
                 "invoice_address": address_by_id[sale["invoice_address"]],
                 "shipment_address": address_by_id[sale["shipment_address"]]},
        "party": {"name": party["name"], "key": party["wooerp_ref"].partition(":")[0]},
        "addresses": sorted(address_by_id.values(), key=repr),
        "contacts": sorted((c["type"], c["type"] if c["type"] == "email" else c["value"])
                           for c in contacts),
        "lines": strip(lines),
        "invoice_lines": strip(invoice_lines),
        "moves": strip(moves),
    }
