"""What a hostile or broken client can send to the ingress, one case each:
the answer is never a 5xx, a refusal is recorded (an inbox entry or a
counted metric), one bad entry never blocks the relay, and refused
unauthenticated input cannot fill the disk.

Temporal is a recording fake here (tests/integration/webhook_client.py),
except for the health check, which needs a server to kill.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import structlog
from sqlalchemy import func, select
from starlette.requests import Request
from starlette.testclient import TestClient
from temporalio.service import RPCError, RPCStatusCode

from systems.ledger import InboxStatus, Ledger
from systems.ledger.models import InboxRow
from systems.woocommerce.webhooks import parse_headers
from tests.integration.webhook_client import (FakeLink, FakeTemporal, delivery, ingress,
                                              new_id, order_doc, sample, settings_for,
                                              signed)
from workers.devstack.devserver import DevServer, DevServerConfig
from workers.devstack.ports import free_port
from workers.ingress import inbox as inbox_module
from workers.ingress.app import create_app
from workers.ingress.inbox import Inbox
from workers.sagas.link import SagaLink
from workers.ingress.webhooks import BodyTooLarge, read_body

URL = "/webhooks/woocommerce/default"


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    return request.getfixturevalue("postgres_url")


def last_id(ledger: Ledger) -> int:
    with ledger.engine.connect() as conn:
        return conn.scalar(select(func.max(InboxRow.id))) or 0


def entries_after(ledger: Ledger, first: int):
    items, i = [], first + 1
    while (item := ledger.inbox_get(i)) is not None:
        items.append(item)
        i += 1
    return items


def meta_for(body: bytes, topic: str = "order.created"):
    return parse_headers({k.lower(): v for k, v in signed(body, topic).items()})


# 1. one poison delivery ---------------------------------------------------------------

async def test_a_poison_delivery_is_a_dead_letter_and_the_relay_moves_on(tmp_path):
    """total "1e26" raised decimal.InvalidOperation out of Inbox.forward, so
    relay_once failed on that entry every tick and nothing behind it moved."""
    settings = settings_for(tmp_path)
    ledger = Ledger(settings.database_url)
    ledger.migrate()
    offline = Inbox(settings, ledger, FakeLink(None))
    good, later = new_id(), new_id()
    bodies = [(delivery(good), "order.created"),
              (delivery(new_id(), total="1e26"), "order.created"),
              (json.dumps({"id": 1e400}).encode(), "order.deleted"),  # json writes Infinity
              (b'{"id": 1' + b"0" * 30 + b"}", "order.deleted"),
              (delivery(later), "order.updated")]
    ids = [await offline.keep("default", meta_for(b, t), {}, b) for b, t in bodies]
    assert await offline.relay_once() == 0  # Temporal down: all wait
    assert len(ledger.inbox_pending()) == 5
    fake = FakeTemporal()
    online = Inbox(settings, ledger, FakeLink(fake))
    assert await online.relay_once() == 2
    status = [ledger.inbox_get(i).status for i in ids]
    assert status == [InboxStatus.FORWARDED, InboxStatus.DEAD, InboxStatus.DEAD,
                      InboxStatus.DEAD, InboxStatus.FORWARDED]
    assert "total" in ledger.inbox_get(ids[1]).error
    assert fake.workflow_ids == {f"order:default:{good}", f"order:default:{later}"}
    assert sample("wooerp_inbox_pending") == 0


async def test_an_entry_temporal_refuses_is_retried_a_bounded_number_of_times(tmp_path):
    """An INVALID_ARGUMENT for one entry (a workflow id too long, say), or any
    bug while forwarding it, used to stop the tick there, for ever."""
    settings = settings_for(tmp_path)
    ledger = Ledger(settings.database_url)
    ledger.migrate()
    refused, buggy, fine = new_id(), new_id(), new_id()
    fake = FakeTemporal(fail={
        f"order:default:{refused}": RPCError("bad", RPCStatusCode.INVALID_ARGUMENT, b""),
        f"order:default:{buggy}": RuntimeError("a bug in forwarding")})
    inbox = Inbox(settings, ledger, FakeLink(fake))
    ids = [await inbox.keep("default", meta_for(b), {}, b)
           for b in (delivery(refused), delivery(buggy), delivery(fine))]
    assert await inbox.relay_once() == 1
    assert ledger.inbox_get(ids[2]).status == InboxStatus.FORWARDED
    for _ in range(inbox_module.MAX_ATTEMPTS - 1):
        await inbox.relay_once()
    for entry_id in ids[:2]:
        item = ledger.inbox_get(entry_id)
        assert (item.status, item.attempts) == (InboxStatus.DEAD, inbox_module.MAX_ATTEMPTS)
    assert ledger.inbox_get(ids[0]).error.startswith("Temporal refused it")
    assert "a bug in forwarding" in ledger.inbox_get(ids[1]).error
    assert ledger.inbox_pending() == []


@pytest.mark.parametrize("error", [ArithmeticError("a mapper bug"), RecursionError(),
                                   OverflowError("int too large"), AttributeError("x")])
async def test_whatever_the_mapper_raises_the_entry_is_a_dead_letter(tmp_path, monkeypatch,
                                                                     error):
    """The same bytes fail the same way, whatever the exception: the relay
    must never meet that entry again."""
    def broken(raw, store):
        raise error

    monkeypatch.setattr(inbox_module.mapping, "order_from_woo", broken)
    settings = settings_for(tmp_path)
    ledger = Ledger(settings.database_url)
    ledger.migrate()
    inbox = Inbox(settings, ledger, FakeLink(FakeTemporal()))
    body = delivery(new_id())
    entry = await inbox.keep("default", meta_for(body), {}, body)
    assert await inbox.relay_once() == 0
    item = ledger.inbox_get(entry)
    assert item.status == InboxStatus.DEAD and type(error).__name__ in item.error


async def test_temporal_down_ends_the_tick_and_spends_no_attempt(tmp_path):
    settings = settings_for(tmp_path)
    ledger = Ledger(settings.database_url)
    ledger.migrate()
    fake = FakeTemporal(fail={"*": RPCError("down", RPCStatusCode.UNAVAILABLE, b"")})
    link = FakeLink(fake)
    inbox = Inbox(settings, ledger, link)
    ids = [await inbox.keep("default", meta_for(b), {}, b)
           for b in (delivery(new_id()), delivery(new_id()))]
    assert await inbox.relay_once() == 0
    assert len(fake.calls) == 1 and link.resets == 1  # stopped at the first entry
    assert [ledger.inbox_get(i).attempts for i in ids] == [0, 0]
    assert [ledger.inbox_get(i).status for i in ids] == [InboxStatus.RECEIVED] * 2


async def test_the_backlog_gauge_counts_what_waits_in_the_ledger(tmp_path):
    """It said len(batch) - sent: 0 after a failing tick, and never more than the batch."""
    settings = settings_for(tmp_path)
    ledger = Ledger(settings.database_url)
    ledger.migrate()
    offline = Inbox(settings, ledger, FakeLink(None))
    for _ in range(4):
        body = delivery(new_id())
        await offline.keep("default", meta_for(body), {}, body)
    await offline.relay_once(limit=2)
    assert sample("wooerp_inbox_pending") == 4


# 3. numbers the sagas cannot hold ------------------------------------------------------

@pytest.mark.parametrize("changes,field", [
    ({"id": 2**62}, "id"), ({"id": -4}, "id"), ({"id": 0}, "id"),
    ({"total": "1e26"}, "total"), ({"total": "1000000000000.00"}, "total"),
    ({"customer_id": 2**60}, "customer_id"),
], ids=["id-2^62", "id-negative", "id-0", "total-1e26", "total-10^12", "customer-2^60"])
def test_a_number_beyond_the_bound_is_a_dead_letter_and_starts_nothing(tmp_path, changes, field):
    """Ids >= 2^63 passed mapping and then sat on BAD_SEARCH_ATTRIBUTES;
    "1e26" was a 500."""
    fake = FakeTemporal()
    with ingress(tmp_path, fake) as (client, ledger, _):
        body = json.dumps({**order_doc(new_id()), **changes}).encode()
        r = client.post(URL, content=body, headers=signed(body))
        assert r.status_code == 200 and r.json()["outcome"] == "dead_letter", r.text
        assert r.json()["detail"].startswith(f"cannot map the order: {field}:")
        assert ledger.inbox_get(r.json()["entry"]).status == InboxStatus.DEAD
    assert fake.calls == []


# 4. bad input gets a 4xx with a reason, recorded -----------------------------------------

@pytest.mark.parametrize("body,reason", [
    (b"[" * 1000 + b"]" * 1000, "nested deeper"),
    (b'{"a":' * 200 + b"1" + b"}" * 200, "nested deeper"),
    (b'{"id": ' + b"7" * 5000 + b"}", "beyond 64 bits"),
    (b'{"id": 9223372036854775808}', "beyond 64 bits"),
    (b'{"id": 1e400}', "too large for a double"),
    (b'{"id": NaN}', "NaN is not JSON"),
    (b'{"id": "\xff"}', "not UTF-8"),
], ids=["deep-array", "deep-object", "5000-digits", "2^63", "1e400", "nan", "latin1"])
def test_a_signed_body_woocommerce_cannot_have_sent_is_400_and_a_dead_letter(
        tmp_path, body, reason):
    fake = FakeTemporal()
    with ingress(tmp_path, fake) as (client, ledger, _):
        for topic in ("order.created", "order.deleted"):
            dead_before = sample("wooerp_webhook_dead_letters_total")
            r = client.post(URL, content=body, headers=signed(body, topic))
            assert r.status_code == 400, r.text
            assert reason in r.json()["detail"]
            item = ledger.inbox_get(r.json()["entry"])
            assert item.status == InboxStatus.DEAD and reason in item.error
            assert sample("wooerp_webhook_dead_letters_total") == dead_before + 1
    assert fake.calls == []


def test_a_store_code_no_store_can_have_is_400(tmp_path):
    with ingress(tmp_path) as (client, _, _):
        body = delivery(new_id())
        for code in ("x" * 5000, "a b", "caf\u00e9", "a" * 65):
            r = client.post(f"/webhooks/woocommerce/{code}", content=body, headers=signed(body))
            assert r.status_code == 400 and r.json()["outcome"] == "bad_store"
        assert client.post("/webhooks/woocommerce/" + "a" * 64, content=body,
                           headers=signed(body)).status_code == 404


def test_hostile_headers_are_refused_not_crashed_on(tmp_path, database_url):
    """Headers are not signed. A webhook id of 5,000 digits (int() refuses it)
    or "²" (str.isdigit() says yes) was a 500; a topic or delivery id longer
    than its column was a 500 on PostgreSQL."""
    with structlog.testing.capture_logs() as logs, \
            ingress(tmp_path, FakeTemporal(), database_url) as (client, ledger, _):
        first = last_id(ledger)
        body = delivery(new_id())
        hostile = [{"X-WC-Webhook-ID": "9" * 5000}, {"X-WC-Webhook-ID": b"\xb2"},
                   {"X-WC-Webhook-Topic": "order." + "x" * 5000},
                   {"X-WC-Webhook-Delivery-ID": "d" * 5000},
                   {f"X-Junk-{i}": "v" * 2000 for i in range(60)}]
        for extra in hostile:
            r = client.post(URL, content=body, headers={"X-WC-Webhook-Signature": "nope", **extra})
            assert r.status_code == 401, (extra.keys(), r.text)
            good = {**signed(body), **extra}
            good["X-WC-Webhook-Signature"] = signed(body)["X-WC-Webhook-Signature"]
            r = client.post(URL, content=body, headers=good)
            assert r.status_code == 200, (extra.keys(), r.text)
        rows = entries_after(ledger, first)
        assert len(rows) == 2 * len(hostile)
        assert all(len(repr(e)) < 2000 for e in logs), "an unsigned header reached a log whole"
        for row in rows:
            assert len(row.topic) <= 128 and len(row.delivery_id or "") <= 64
            assert len(row.headers) <= 40 and all(len(v) <= 512 for v in row.headers.values())


async def test_a_content_length_of_5000_digits_is_too_large_not_a_crash():
    async def receive():
        return {"type": "http.request", "body": b"{}", "more_body": False}

    for declared, too_large in ((b"9" * 5000, True), (b"1048577", True), (b"\xb2", False),
                                (b"12", False)):
        request = Request({"type": "http", "method": "POST", "path": URL,
                           "headers": [(b"content-length", declared)]}, receive)
        if too_large:
            with pytest.raises(BodyTooLarge):
                await read_body(request)
        else:
            assert await read_body(request) == b"{}"


# 5. unsigned input cannot fill the disk ------------------------------------------------

def test_unsigned_bodies_are_kept_as_digest_and_prefix_within_a_budget(tmp_path, database_url):
    """100 unsigned 1 MiB bodies grew the ledger by 141 MiB."""
    with structlog.testing.capture_logs() as logs, \
            ingress(tmp_path, FakeTemporal(), database_url) as (client, ledger, _):
        first = last_id(ledger)
        unrecorded = sample("wooerp_webhook_refusals_not_recorded_total")
        body = b"{" + b"x" * (1024 * 1024 - 2) + b"}"
        headers = signed(body)
        del headers["X-WC-Webhook-Signature"]
        answers = {client.post(URL, content=body, headers=headers).status_code for _ in range(100)}
        assert answers == {401}
        rows = entries_after(ledger, first)
        assert len(rows) == 20  # the source's burst; the rest only counted
        assert sample("wooerp_webhook_refusals_not_recorded_total") == unrecorded + 80
        digest = hashlib.sha256(body).hexdigest()
        for row in rows:
            assert row.status == InboxStatus.REJECTED and len(row.body) == 256
            assert (row.body_size, row.body_sha256) == (len(body), digest)
            assert row.body == body[:256] and not row.body_complete
        assert sum(len(r.body) + len(json.dumps(r.headers)) for r in rows) < 20 * 2048
        warnings = [e for e in logs if e["event"] == "webhook signature rejected"]
        assert len(warnings) == 20  # the log is bounded by the same budget
        # a signed delivery is still kept whole, budget or not
        good = delivery(new_id())
        r = client.post(URL, content=good, headers=signed(good))
        assert ledger.inbox_get(r.json()["entry"]).body == good


# 7. what the ingress says about itself --------------------------------------------------

def test_a_dead_letter_is_answered_and_counted_as_one(tmp_path):
    fake = FakeTemporal()
    with ingress(tmp_path, fake) as (client, ledger, _):
        before = (sample("wooerp_webhooks_total", outcome="dead_letter"),
                  sample("wooerp_webhooks_total", outcome="forwarded"))
        doc = order_doc(new_id())
        del doc["currency"]  # a mapping failure the old code did catch
        body = json.dumps(doc).encode()
        r = client.post(URL, content=body, headers=signed(body))
        assert r.status_code == 200 and r.json()["outcome"] == "dead_letter"
        assert "currency" in r.json()["detail"]
        assert (sample("wooerp_webhooks_total", outcome="dead_letter"),
                sample("wooerp_webhooks_total", outcome="forwarded")) == (before[0] + 1, before[1])
    assert fake.calls == []


async def test_healthz_asks_temporal_instead_of_trusting_the_cached_client(tmp_path):
    config = DevServerConfig(port=free_port(), ui_port=None, http_port=free_port(),
                             metrics_port=free_port())
    server = DevServer(config, log_file=tmp_path / "temporal.log")
    await server.start()
    stopped = False
    try:
        settings = settings_for(tmp_path, temporal_address=server.address)
        app = create_app(settings, relay_every=3600)
        with TestClient(app) as client:
            assert client.get("/healthz").json()["temporal"] == "up"
            assert isinstance(app.state.sagas, SagaLink) and app.state.sagas.connected
            await server.stop()
            stopped = True
            health = client.get("/healthz")
            assert health.status_code == 200 and health.json()["temporal"].startswith("down")
    finally:
        if not stopped:
            await server.stop()
