"""wooerp_link's notifications, from a real Tryton to a receiver on 127.0.0.1.

A Tryton of its own is started with the module's [wooerp] settings pointing
at a tiny HTTP receiver in this test. Every event must arrive signed, only
after its transaction committed (the receiver reads the ERP's database when
the POST comes in), never from a transaction that rolled back, and the ERP
must not fail nor wait when the receiver is down or hangs.
"""
from __future__ import annotations

import datetime as dt
import sqlite3
import threading
import time
from dataclasses import dataclass
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from sandbox.erp.instance import free_port, start_instance
from systems.erp.errors import ErpWarning
from systems.erp.notifications import SIGNATURE_HEADER, ErpNotification, verify
from systems.erp.tryton.adapter import TrytonErp
from tests.fixtures.erp import make_order, tryton_templates_dir, unique_ref
from systems.erp.tryton.accept import accept_payload

pytestmark = pytest.mark.tryton

SECRET = "notify-test-secret"
NOTIFY_TIMEOUT_S = 30  # the module's POST timeout on this server
WAIT_S = 20.0
TABLES = {"stock.move": "stock_move", "stock.shipment.out": "stock_shipment_out",
          "stock.shipment.out.return": "stock_shipment_out_return",
          "account.invoice": "account_invoice"}


@dataclass
class Received:
    headers: dict
    body: bytes
    event: ErpNotification
    committed: dict[int, str]  # the records' state in the ERP database on arrival


class Receiver:
    """Records every POST; can be stopped, restarted on its port, or made to hang."""

    def __init__(self, database: Path):
        self.database = database
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/webhooks/erp/tryton"
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.release = threading.Event()
        self.release.set()
        self.holding = 0
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                event = ErpNotification.parse(body)
                with receiver.lock:
                    receiver.received.append(Received(dict(self.headers), body, event,
                                                      receiver.states(event)))
                    receiver.holding += 1
                receiver.release.wait()
                with receiver.lock:
                    receiver.holding -= 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def states(self, event: ErpNotification) -> dict[int, str]:
        with sqlite3.connect(f"file:{self.database}?mode=ro", uri=True) as db:
            marks = ",".join("?" * len(event.ids))
            rows = db.execute(f"SELECT id, state FROM {TABLES[event.model]} "
                              f"WHERE id IN ({marks})", event.ids).fetchall()
        db.close()
        return dict(rows)

    def wait_for(self, what: str, match, timeout: float = WAIT_S) -> Received:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                found = [r for r in self.received if match(r.event)]
            if found:
                return found[0]
            time.sleep(0.05)
        raise AssertionError(f"no notification {what} within {timeout} s; got "
                             f"{[(r.event.kind, r.event.state, r.event.ids) for r in self.received]}")


@pytest.fixture(scope="module")
def receiver(tmp_path_factory) -> Receiver:
    data_dir = tmp_path_factory.mktemp("erp-notify")
    receiver = Receiver(data_dir / "db" / "wooerp.sqlite")
    receiver.start()
    server, connection, _ = start_instance(
        data_dir, templates_dir=tryton_templates_dir(), port=free_port(),
        notify={"url": receiver.url, "secret": SECRET, "timeout": NOTIFY_TIMEOUT_S,
                "attempts": 2})
    receiver.connection = connection
    try:
        yield receiver
    finally:
        receiver.release.set()
        server.stop()
        receiver.stop()


@pytest.fixture(scope="module")
async def erp(receiver) -> TrytonErp:
    c = receiver.connection
    adapter = TrytonErp.connect(c.url, c.database, c.user, c.password(), timeout=60)
    try:
        yield adapter
    finally:
        await adapter.aclose()


async def _draft_receipt(erp: TrytonErp, sku: str, quantity: int,
                         effective_date: dt.date | None = None) -> int:
    """A supplier-to-storage move, left draft."""
    info = await (await erp.products()).by_sku(sku)
    supplier, = await erp.rpc.search("stock.location", [["type", "=", "supplier"]], limit=1)
    warehouse, = await erp.rpc.read("stock.location", [await (await erp.products()).warehouse()],
                                    ["storage_location"])
    values = {"product": info.product.id, "quantity": float(quantity), "unit": info.unit,
              "from_location": supplier, "to_location": warehouse["storage_location"],
              "unit_price": Decimal("1.00"), "currency": await erp.documents.currency_id("USD")}
    if effective_date:
        values["effective_date"] = effective_date
    move, = await erp.rpc.create("stock.move", [values])
    return move


def _signed(received: Received) -> None:
    assert verify(received.body, received.headers[SIGNATURE_HEADER], SECRET)
    assert not verify(received.body, received.headers[SIGNATURE_HEADER], "another secret")


async def test_a_stock_receipt_is_notified_signed_after_commit(receiver, erp):
    supplier_party, = await erp.rpc.create("party.party", [{"name": "Mug Supplier"}])
    warehouse = await (await erp.products()).warehouse()
    move = await _draft_receipt(erp, "WOO-MUG", 5)
    row, = await erp.rpc.read("stock.location", [warehouse],
                              ["input_location", "storage_location"])
    await erp.rpc.write("stock.move", [move], {"to_location": row["input_location"]})
    # on_change does not run over RPC: the warehouse's locations are explicit.
    shipment, = await erp.rpc.create("stock.shipment.in", [{
        "supplier": supplier_party, "warehouse": warehouse,
        "warehouse_input": row["input_location"], "warehouse_storage": row["storage_location"],
        "incoming_moves": [["add", [move]]]}])
    before = (await erp.stock_levels(["WOO-MUG"]))["WOO-MUG"]

    await erp.rpc.button("stock.shipment.in", "receive", [shipment])
    await erp.rpc.button("stock.shipment.in", "do", [shipment])

    received = receiver.wait_for("for the received move", lambda e: move in e.ids)
    _signed(received)
    event = received.event
    assert (event.kind, event.model, event.state, event.skus) == \
        ("stock", "stock.move", "done", ["WOO-MUG"])
    assert event.database == "wooerp" and event.external_refs == []
    assert received.committed == {move: "done"}  # sent after the commit, not before
    row, = await erp.rpc.read("stock.shipment.in", [shipment], ["inventory_moves"])
    stored = receiver.wait_for("for the put-away", lambda e: set(row["inventory_moves"]) <= set(e.ids))
    assert stored.committed == dict.fromkeys(row["inventory_moves"], "done")
    assert (await erp.stock_levels(["WOO-MUG"]))["WOO-MUG"] == before + 5


async def test_shipping_and_invoicing_a_wooerp_sale_is_notified(receiver, erp):
    ref = unique_ref()
    sale = await erp.rpc.execute("sale.sale", "wooerp_accept", ref,
                                 accept_payload(make_order([("WOO-HOODIE", 2, "45.00")])))
    shipment, invoice = sale["shipments"][0]["id"], sale["invoices"][0]["id"]
    for button in ("assign_try", "pick", "pack", "do"):
        await erp.rpc.button("stock.shipment.out", button, [shipment])

    done = receiver.wait_for("for the shipment", lambda e: e.kind == "shipment")
    _signed(done)
    assert (done.event.model, done.event.state, done.event.ids, done.event.external_refs,
            done.event.skus) == ("stock.shipment.out", "done", [shipment], [ref], ["WOO-HOODIE"])
    assert done.committed == {shipment: "done"}
    assigned = receiver.wait_for("for the reservation",
                                 lambda e: e.state == "assigned" and ref in e.external_refs)
    assert (assigned.event.kind, assigned.event.skus) == ("stock", ["WOO-HOODIE"])

    await erp.rpc.button("account.invoice", "post", [invoice])
    posted = receiver.wait_for("for the invoice", lambda e: e.kind == "invoice")
    _signed(posted)
    assert (posted.event.model, posted.event.state, posted.event.ids,
            posted.event.external_refs) == ("account.invoice", "posted", [invoice], [ref])
    assert posted.committed == {invoice: "posted"}


async def test_a_cancelled_shipment_of_a_wooerp_sale_is_notified(receiver, erp):
    ref = unique_ref()
    await erp.rpc.execute("sale.sale", "wooerp_accept", ref,
                          accept_payload(make_order([("WOO-POSTER", 1, "9.99")])))
    cancelled = await erp.cancel_sale(ref)
    shipment = cancelled.shipments[0].erp_id
    event = receiver.wait_for("for the cancelled shipment",
                              lambda e: e.kind == "shipment" and shipment in e.ids).event
    assert (event.state, event.external_refs) == ("cancelled", [ref])


async def test_a_rolled_back_transaction_sends_nothing(receiver, erp):
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    future = await _draft_receipt(erp, "WOO-MUG", 1, effective_date=tomorrow)
    with pytest.raises(ErpWarning):  # Move.do marks it done, then warns: all rolled back
        await erp.rpc.button("stock.move", "do", [future])
    row, = await erp.rpc.read("stock.move", [future], ["state"])
    assert row["state"] == "draft"

    # One sender thread posts in order: once a later event is in, an event
    # of the failed transaction would have been in before it.
    later = await _draft_receipt(erp, "WOO-MUG", 1)
    await erp.rpc.button("stock.move", "do", [later])
    receiver.wait_for("for the later move", lambda e: later in e.ids)
    assert not [r for r in receiver.received if future in r.event.ids]


async def test_a_down_receiver_does_not_fail_the_erp(receiver, erp):
    receiver.stop()
    try:
        move = await _draft_receipt(erp, "WOO-MUG", 1)
        await erp.rpc.button("stock.move", "do", [move])  # no error
        row, = await erp.rpc.read("stock.move", [move], ["state"])
        assert row["state"] == "done"
    finally:
        receiver.start()
    after = await _draft_receipt(erp, "WOO-MUG", 1)
    await erp.rpc.button("stock.move", "do", [after])
    receiver.wait_for("once the receiver is back", lambda e: after in e.ids)


async def test_a_hanging_receiver_does_not_slow_the_erp(receiver, erp):
    receiver.release.clear()
    try:
        first = await _draft_receipt(erp, "WOO-MUG", 1)
        await erp.rpc.button("stock.move", "do", [first])
        receiver.wait_for("held by the receiver", lambda e: first in e.ids)
        assert receiver.holding == 1

        second = await _draft_receipt(erp, "WOO-MUG", 1)
        started = time.monotonic()
        await erp.rpc.button("stock.move", "do", [second])
        elapsed = time.monotonic() - started
        # Answered while the receiver still holds the first POST open, and far
        # below the module's POST timeout it would wait if it sent inline.
        assert receiver.holding == 1 and elapsed < NOTIFY_TIMEOUT_S / 3
    finally:
        receiver.release.set()
    receiver.wait_for("after the receiver answered", lambda e: second in e.ids)
    order = [r.event.ids for r in receiver.received if {first, second} & set(r.event.ids)]
    assert order == [[first], [second]]  # in order, each once
