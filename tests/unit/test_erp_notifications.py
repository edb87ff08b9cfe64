"""ERP notifications: the ingress's verify/parse (systems/erp/notifications.py) and
the module's signing, batching and delivery (wooerp_link/notify.py), no Tryton server."""
from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pydantic import ValidationError

from systems.erp.notifications import (
    EVENT_HEADER, MAX_BODY_BYTES, SIGNATURE_HEADER, ErpNotification, expected_signature, verify)
from systems.erp.tryton.wooerp_link import notify

BODY = b'{"version":1,"event_id":"0f3a","kind":"stock"}'
SECRET = "wooerp-test-secret"
# printf '%s' "$BODY" | openssl dgst -sha256 -hmac "$SECRET" -binary | base64
SIGNATURE = "I+ZCtlF82MbPo9vLfG0CBEvLEjS716DceZTKKuggZ/A="


def event(**changes) -> dict:
    return {"version": 1, "event_id": "a1b2c3", "database": "wooerp", "kind": "stock",
            "model": "stock.move", "state": "done", "ids": [4, 5], "skus": ["WOO-MUG"],
            "external_refs": [], "occurred_at": "2026-12-01T10:00:00+00:00", **changes}


def test_the_signature_matches_an_independent_hmac():
    assert expected_signature(BODY, SECRET) == SIGNATURE
    assert verify(BODY, SIGNATURE, SECRET)
    assert notify.sign(BODY, SECRET) == SIGNATURE  # the module signs what the ingress checks
    assert (notify.SIGNATURE_HEADER, notify.EVENT_HEADER) == (SIGNATURE_HEADER, EVENT_HEADER)


@pytest.mark.parametrize("body, header, secret", [
    (BODY + b" ", SIGNATURE, SECRET),
    (BODY, SIGNATURE, "another-secret"),
    (BODY, None, SECRET),
    (BODY, "", SECRET),
    (BODY, SIGNATURE, ""),  # a receiver without a secret accepts nothing
    (BODY, SIGNATURE[:-2], SECRET),
    (BODY, "é" + SIGNATURE, SECRET),
])
def test_anything_else_does_not_verify(body, header, secret):
    assert verify(body, header, secret) is False


def test_surrounding_whitespace_in_the_header_is_tolerated():
    assert verify(BODY, f" {SIGNATURE}\r\n", SECRET)


def test_a_notification_parses_and_is_bounded():
    parsed = ErpNotification.parse(json.dumps({**event(), "added_later": 1}).encode())
    assert (parsed.kind, parsed.ids, parsed.skus) == ("stock", [4, 5], ["WOO-MUG"])
    assert parsed.occurred_at == datetime(2026, 12, 1, 10, tzinfo=timezone.utc)
    later = ErpNotification.parse(json.dumps(
        event(occurred_at="2026-12-01T12:00:00+02:00")).encode())
    assert later.occurred_at == parsed.occurred_at


@pytest.mark.parametrize("changes", [
    {"version": 2}, {"kind": "order"}, {"ids": []}, {"ids": [0]}, {"ids": list(range(1, 1002))},
    {"occurred_at": "2026-12-01T10:00:00"}, {"event_id": "no spaces"}, {"event_id": ""},
    {"skus": [""]}, {"state": "x" * 33}, {"database": None},
])
def test_malformed_notifications_are_refused(changes):
    with pytest.raises(ValidationError):
        ErpNotification.parse(json.dumps(event(**changes)).encode())


def test_oversized_or_non_json_bodies_are_refused():
    with pytest.raises(ValueError, match="over"):
        ErpNotification.parse(b" " * (MAX_BODY_BYTES + 1))
    with pytest.raises(ValueError):
        ErpNotification.parse(b"not json")


# the module's side ---------------------------------------------------------------
TARGET = notify.Settings(url="http://127.0.0.1:9/x", secret=SECRET, timeout=2.0, attempts=2)


def test_a_transactions_events_are_merged_per_kind_and_state_and_sent_at_finish(monkeypatch):
    sent = []
    monkeypatch.setattr(notify.SENDER, "submit", lambda target, bodies: sent.append(bodies))
    manager = notify.NotificationDataManager(TARGET)
    manager.put("db", "stock", "stock.move", "done", [1, 2], {1: ["A"], 2: ["B", None]},
                {1: ["order:s:1"]})
    manager.put("db", "stock", "stock.move", "done", [3], {3: ["A"]}, {})
    manager.put("db", "stock", "stock.move", "assigned", [4], {4: ["C"]}, {})
    manager.tpc_vote(None)
    assert sent == []  # nothing before the commit
    manager.tpc_finish(None)
    manager.tpc_finish(None)  # trytond may commit twice: no second send
    events = [json.loads(b) for b in sent[0]]
    assert len(sent) == 1
    assert [(e["state"], e["ids"], e["skus"], e["external_refs"]) for e in events] == [
        ("done", [1, 2, 3], ["A", "B"], ["order:s:1"]), ("assigned", [4], ["C"], [])]
    assert len({e["event_id"] for e in events}) == 2
    assert all(ErpNotification.parse(b) for b in sent[0])


def test_an_aborted_transaction_sends_nothing(monkeypatch):
    sent = []
    monkeypatch.setattr(notify.SENDER, "submit", lambda target, bodies: sent.append(bodies))
    manager = notify.NotificationDataManager(TARGET)
    manager.put("db", "invoice", "account.invoice", "posted", [7], {}, {7: ["order:s:7"]})
    manager.tpc_abort(None)
    manager.tpc_finish(None)
    assert sent == []


def test_big_changes_are_split_into_bounded_events():
    manager_event = {i: ({f"SKU-{i}"}, set()) for i in range(1, 1201)}
    bodies = list(notify._bodies("db", "stock", "stock.move", "done", manager_event))
    sizes = [len(ErpNotification.parse(b).ids) for b in bodies]
    assert sizes == [500, 500, 200]
    assert ErpNotification.parse(bodies[2]).skus == sorted(f"SKU-{i}" for i in range(1001, 1201))


def test_managers_for_the_same_target_are_one_in_a_transaction():
    assert notify.NotificationDataManager(TARGET) == notify.NotificationDataManager(TARGET)
    other = notify.Settings(url="http://127.0.0.1:9/y", secret=SECRET)
    assert notify.NotificationDataManager(TARGET) != notify.NotificationDataManager(other)
    assert SECRET not in repr(TARGET)


class _Receiver(BaseHTTPRequestHandler):
    statuses: list[int] = []
    got: list[tuple[dict, bytes]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.got.append((dict(self.headers), body))
        self.send_response(self.statuses.pop(0) if self.statuses else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    _Receiver.statuses, _Receiver.got = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, notify.Settings(url=f"http://127.0.0.1:{server.server_port}/hook",
                                      secret=SECRET, timeout=2.0, attempts=3)
    finally:
        server.shutdown()
        server.server_close()


def _body() -> bytes:
    return next(notify._bodies("db", "stock", "stock.move", "done", {1: ({"A"}, set())}))


def test_delivery_is_signed_and_retried_on_5xx_only(receiver, monkeypatch):
    monkeypatch.setattr(notify, "RETRY_PAUSE_S", 0.01)
    _, target = receiver
    _Receiver.statuses = [503, 200]
    body = _body()
    assert notify.deliver(target, body) is True
    (first, _), (second, again) = _Receiver.got
    assert again == body and verify(body, second[SIGNATURE_HEADER], SECRET)
    assert second[EVENT_HEADER] == json.loads(body)["event_id"] == first[EVENT_HEADER]
    _Receiver.got, _Receiver.statuses = [], [401, 200]
    assert notify.deliver(target, body) is False  # refused: retrying cannot help
    assert len(_Receiver.got) == 1


def test_an_unreachable_receiver_is_given_up_after_the_attempts(monkeypatch):
    monkeypatch.setattr(notify, "RETRY_PAUSE_S", 0.01)
    down = notify.Settings(url="http://127.0.0.1:9/hook", secret=SECRET, timeout=0.5,
                           attempts=2)
    assert notify.deliver(down, _body()) is False


def test_the_sender_thread_delivers_in_order_and_survives_failures(receiver, monkeypatch):
    monkeypatch.setattr(notify, "RETRY_PAUSE_S", 0.01)
    _, target = receiver
    sender = notify.Sender()
    bodies = [_body() for _ in range(3)]
    sender.submit(target, [b"not json"] + bodies)  # a broken event does not stop the thread
    _until(lambda: len(_Receiver.got) == 3, "the sender did not deliver 3 events in 10 s")
    assert [b for _, b in _Receiver.got] == bodies


def _until(condition, message: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, message
        time.sleep(0.02)


@pytest.fixture
def wooerp_config():
    from trytond import config
    config.add_section("wooerp")
    try:
        yield lambda **options: [config.set("wooerp", k, str(v)) for k, v in options.items()]
    finally:
        config.remove_section("wooerp")
        config._cache_clear()


def test_settings_come_from_the_wooerp_section(wooerp_config, tmp_path):
    assert notify.settings() is None  # nothing configured: off
    wooerp_config(url="https://wooerp.example/webhooks/erp/tryton")
    assert notify.settings() is None  # no secret: off, never unsigned
    wooerp_config(secret="s3cret", timeout=999, attempts=0)
    assert notify.settings() == notify.Settings(
        url="https://wooerp.example/webhooks/erp/tryton", secret="s3cret", timeout=30.0,
        attempts=1)
    wooerp_config(url="ftp://wooerp.example/x")
    assert notify.settings() is None


def test_the_secret_may_come_from_a_file(wooerp_config, tmp_path):
    secret_file = tmp_path / "wooerp.secret"
    secret_file.write_text("from-a-file\n")
    wooerp_config(url="http://127.0.0.1:1/x", secret_file=secret_file)
    assert notify.settings().secret == "from-a-file"
