"""The inbox keeps refused unsigned input as a digest and a prefix (revision
0002), on SQLite and PostgreSQL, and rows and processes from 0001 still work."""
from __future__ import annotations

import hashlib

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from systems.ledger import InboxStatus, Ledger
from systems.ledger.store import MIGRATIONS


def test_a_prefix_is_kept_with_the_size_and_digest_of_the_whole(ledger: Ledger, uniq: str):
    body = b"x" * (1024 * 1024)
    refused = ledger.inbox_add(store=uniq, topic="order.created", headers={}, body=body,
                               status=InboxStatus.REJECTED, error="bad signature",
                               keep_bytes=256)
    item = ledger.inbox_get(refused)
    assert item.body == body[:256] and item.body_size == len(body)
    assert item.body_sha256 == hashlib.sha256(body).hexdigest()
    assert item.body_complete is False
    signed = ledger.inbox_get(ledger.inbox_add(store=uniq, topic="order.created", headers={},
                                               body=b'{"id": 1}'))
    assert signed.body == b'{"id": 1}' and signed.body_size == 9 and signed.body_complete


def test_inbox_count_is_the_backlog_in_the_ledger(ledger: Ledger, uniq: str):
    before = ledger.inbox_count()
    ids = [ledger.inbox_add(store=uniq, topic="order.created", headers={}, body=b"{}")
           for _ in range(3)]
    ledger.inbox_add(store=uniq, topic="x", headers={}, body=b"", status=InboxStatus.DEAD)
    assert ledger.inbox_count() == before + 3
    ledger.inbox_mark(ids[0], InboxStatus.FORWARDED)
    assert ledger.inbox_count() == before + 2
    for entry_id in ids[1:]:  # the ledger is shared: leave no backlog behind
        ledger.inbox_mark(entry_id, InboxStatus.FORWARDED)


def _alembic(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def test_rows_and_writers_from_revision_0001_survive_the_upgrade(fresh_ledger_url: str):
    ledger = Ledger(fresh_ledger_url)
    try:
        ledger.migrate("0001")
        old_insert = text(
            "INSERT INTO webhook_inbox (store, delivery_id, topic, headers, body, status, error,"
            " attempts, received_at, updated_at) VALUES ('s', NULL, 'order.created', '{}',"
            " :body, 'received', NULL, 0, :now, :now)")
        now = "2026-11-26 12:00:00+00:00"
        with ledger.engine.begin() as conn:
            conn.execute(old_insert, {"body": b'{"id": 1}', "now": now})
        ledger.migrate()
        [old] = ledger.inbox_pending(store="s")
        assert (old.body, old.body_size, old.body_sha256, old.body_complete) == (
            b'{"id": 1}', None, None, True)
        with ledger.engine.begin() as conn:  # a process still on 0001's code keeps writing
            conn.execute(old_insert, {"body": b'{"id": 2}', "now": now})
        assert [i.body for i in ledger.inbox_pending(store="s")] == [b'{"id": 1}', b'{"id": 2}']
        ledger.close()
        command.downgrade(_alembic(fresh_ledger_url), "0001")
        command.upgrade(_alembic(fresh_ledger_url), "head")
        ledger = Ledger(fresh_ledger_url)
        assert len(ledger.inbox_pending(store="s")) == 2
    finally:
        ledger.close()
