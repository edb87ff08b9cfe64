"""The ledger on SQLite and PostgreSQL: the same tests, both backends."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from pydantic import BaseModel
from sqlalchemy import text, update
from sqlalchemy.exc import DBAPIError

from systems.ledger import IdConflict, InboxStatus, Ledger
from systems.ledger.models import Base, InboxRow

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)


class Pinged(BaseModel):
    """Any pydantic model with the five event fields can be appended."""

    event_id: str
    occurred_at: datetime
    recorded_at: datetime
    source_system: str
    correlation_id: str
    note: str = ""


def test_migrations_match_the_models_and_rerun_as_noop(ledger: Ledger):
    ledger.migrate()  # already at head: nothing to do, no error
    with ledger.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []


def test_append_event_is_idempotent_and_keeps_order(ledger: Ledger, uniq: str):
    saga = f"order:default:{uniq}"
    first = Pinged(event_id=f"{saga}:a", occurred_at=T0 + timedelta(hours=2), recorded_at=T0,
                   source_system="erp", correlation_id=saga, note="one")
    second = Pinged(event_id=f"{saga}:b", occurred_at=T0 + timedelta(hours=1), recorded_at=T0,
                    source_system="woocommerce", correlation_id=saga)
    assert ledger.append_event(first, type="Pinged") is True
    assert ledger.append_event(first.model_copy(update={"note": "retry"}), type="Pinged") is False
    assert ledger.append_event(second, type="Pinged") is True
    events = ledger.events_for(saga)
    assert [e.event_id for e in events] == [first.event_id, second.event_id]  # recorded order
    assert events[0].payload["note"] == "one"  # the retry did not overwrite the fact
    assert events[0].occurred_at == T0 + timedelta(hours=2) and events[0].occurred_at.tzinfo is not None
    assert (events[0].type, events[1].source_system) == ("Pinged", "woocommerce")
    assert ledger.event(second.event_id) == events[1]


def test_canonical_events_append_with_their_own_type(ledger: Ledger, uniq: str):
    from canonical.events import OrderRejected, event_id

    saga = f"order:default:{uniq}"
    e = OrderRejected(event_id=event_id(saga, "OrderRejected"), occurred_at=T0, recorded_at=T0,
                      source_system="erp", correlation_id=saga, reason="credit limit")
    assert ledger.append_event(e)
    [recorded] = ledger.events_for(saga)
    assert recorded.type == "OrderRejected" and recorded.payload["reason"] == "credit limit"


def test_business_events_refuse_update_and_delete(ledger: Ledger, uniq: str):
    saga = f"order:default:{uniq}"
    ledger.append_event(Pinged(event_id=saga, occurred_at=T0, recorded_at=T0,
                               source_system="erp", correlation_id=saga), type="Pinged")
    for statement in ("UPDATE business_events SET type = 'Forged' WHERE event_id = :e",
                      "DELETE FROM business_events WHERE event_id = :e"):
        with pytest.raises(DBAPIError, match="append-only"):
            with ledger.engine.begin() as conn:
                conn.execute(text(statement), {"e": saga})
    assert ledger.events_for(saga)[0].type == "Pinged"


def test_id_map_is_idempotent_and_refuses_a_second_truth(ledger: Ledger, uniq: str):
    key = f"customer:default:{uniq}"
    assert ledger.map_id("woocommerce:default", "customer", 17, key) is True
    assert ledger.map_id("woocommerce:default", "customer", "17", key) is False
    assert ledger.map_id("erp", "party", uniq, key) is True
    assert ledger.key_for("woocommerce:default", "customer", 17) == key
    assert ledger.external_id_for("erp", "party", key) == uniq
    assert ledger.key_for("erp", "party", "nope") is None
    with pytest.raises(IdConflict, match="already mapped to key"):
        ledger.map_id("woocommerce:default", "customer", 17, key + "-other")
    with pytest.raises(IdConflict, match="already mapped to id"):
        ledger.map_id("erp", "party", uniq + "-other", key)


def test_inbox_keeps_raw_bytes_and_tracks_status(ledger: Ledger, uniq: str):
    body = b'{"id":15,"payment_url":"http:\\/\\/x.test\\/"}\n\xff'  # exact bytes, even invalid UTF-8
    headers = {"X-WC-Webhook-Topic": "order.updated", "X-WC-Webhook-Delivery-ID": "abc"}
    a = ledger.inbox_add(store=uniq, topic="order.updated", headers=headers, body=body, delivery_id="abc")
    b = ledger.inbox_add(store=uniq, topic="order.updated", headers=headers, body=body, delivery_id="abc")
    c = ledger.inbox_add(store=uniq, topic="order.created", headers={}, body=b"{}")
    assert [i.id for i in ledger.inbox_pending(store=uniq)] == [a, b, c]
    # received_before on entries that are there: it keeps the older, drops the newer
    later = datetime.now(timezone.utc) + timedelta(minutes=1)
    assert [i.id for i in ledger.inbox_pending(store=uniq, received_before=later)] == [a, b, c]
    assert ledger.inbox_pending(store=uniq, received_before=T0) == []
    first = ledger.inbox_get(a).received_at
    with ledger.engine.begin() as conn:  # b and c arrived an hour after a
        conn.execute(update(InboxRow).where(InboxRow.id.in_([b, c]))
                     .values(received_at=first + timedelta(hours=1)))
    middle = first + timedelta(minutes=30)
    assert [i.id for i in ledger.inbox_pending(store=uniq, received_before=middle)] == [a]
    item = ledger.inbox_get(a)
    assert item.body == body and item.headers == headers and item.status is InboxStatus.RECEIVED

    ledger.inbox_mark(a, InboxStatus.FORWARDED)
    ledger.inbox_mark(c, InboxStatus.REJECTED, error="bad signature")
    assert ledger.inbox_attempt_failed(b, "temporal down", max_attempts=2) is InboxStatus.RECEIVED
    assert [i.id for i in ledger.inbox_pending(store=uniq)] == [b]
    assert ledger.inbox_attempt_failed(b, "temporal still down", max_attempts=2) is InboxStatus.DEAD
    assert ledger.inbox_pending(store=uniq) == []
    dead = ledger.inbox_get(b)
    assert (dead.status, dead.attempts, dead.error) == (InboxStatus.DEAD, 2, "temporal still down")
    assert ledger.inbox_get(c).error == "bad signature"
    assert ledger.inbox_pending(store=uniq, received_before=T0) == []
    with pytest.raises(KeyError):
        ledger.inbox_mark(10**9, InboxStatus.FORWARDED)


def test_rejects_unknown_backends_and_naive_times(ledger: Ledger, uniq: str):
    with pytest.raises(ValueError, match="unsupported ledger database"):
        Ledger("mysql://x/y")
    naive = Pinged(event_id=uniq, occurred_at=datetime(2026, 1, 1), recorded_at=T0,
                   source_system="erp", correlation_id=uniq)
    with pytest.raises(Exception, match="timezone-aware"):
        ledger.append_event(naive, type="Pinged")


def _head() -> str:
    """The one head revision (each branch's migration chains onto it)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from systems.ledger.store import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def test_workers_starting_together_migrate_once(fresh_ledger_url: str):
    from concurrent.futures import ThreadPoolExecutor

    ledgers = [Ledger(fresh_ledger_url) for _ in range(4)]
    try:
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda ledger: ledger.migrate(), ledgers))
        with ledgers[0].engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [
                _head()]
    finally:
        for ledger in ledgers:
            ledger.close()



def test_order_status_follows_its_refunds_in_the_ledger(ledger: Ledger, uniq: str):
    """The order saga has closed; a later refund saga's events move the
    order's status to partially_refunded, then refunded."""
    from canonical.events import RefundCompleted, event_id
    from canonical.money import Money
    from systems.ledger.order_status import ledger_status

    oid = int(uniq, 16) % 10**9
    order = f"order:shop:{oid}"
    for kind in ("OrderCaptured", "OrderAccepted", "ShipmentConfirmed", "InvoicePosted",
                 "OrderClosed"):
        ledger.append_event(Pinged(event_id=event_id(order, kind), occurred_at=T0,
                                   recorded_at=T0, source_system="wooerp",
                                   correlation_id=order), type=kind)
    assert ledger_status(ledger, "shop", oid).status == "closed"
    for n, full in ((1, False), (2, True)):
        wid = f"refund:shop:{oid}:{n}"
        ledger.append_event(RefundCompleted(
            event_id=event_id(wid, "RefundCompleted"), occurred_at=T0, recorded_at=T0,
            source_system="wooerp", correlation_id=wid, refund_ref=wid,
            amount=Money.of(5, "USD"), fully_refunded=full))
        expected = "refunded" if full else "partially_refunded"
        assert ledger_status(ledger, "shop", oid).status == expected
    assert ledger_status(ledger, "shop", oid + 1).events == 0  # other orders stay apart
