"""The ledger's API: id map, business event log, webhook inbox, and
reconciliation runs (reconciliation.py).

Synchronous on purpose: activities call it from Temporal's activity thread
pool and ingress from a thread, and every write is one short transaction.

    ledger = Ledger(settings.database_url)
    ledger.migrate()
    ledger.append_event(event)          # True the first time, False on a retry
"""
from __future__ import annotations

import fcntl
import hashlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, delete, event, func, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from systems.ledger.models import BusinessEventRow, IdMapping, InboxRow, InboxStatus, utcnow
from systems.ledger.inventory import InventoryLedger
from systems.ledger.reconciliation import ReconcileLedger

MIGRATIONS = Path(__file__).parent / "migrations"
_MIGRATION_LOCK_KEY = 0x776F6F657270  # "wooerp"
_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


class IdConflict(Exception):
    """The id is already mapped to something else: two truths, a human must decide."""


class EventLike(Protocol):
    """What the ledger needs of an event: canonical business events have all of it."""

    event_id: str
    occurred_at: datetime
    recorded_at: datetime
    source_system: str
    correlation_id: str

    def model_dump(self, *, mode: str = ...) -> dict[str, Any]: ...


@dataclass(frozen=True)
class RecordedEvent:
    seq: int
    event_id: str
    type: str
    correlation_id: str
    occurred_at: datetime
    recorded_at: datetime
    source_system: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class InboxItem:
    id: int
    store: str
    delivery_id: str | None
    topic: str
    headers: dict[str, Any]
    body: bytes
    status: InboxStatus
    error: str | None
    attempts: int
    received_at: datetime
    updated_at: datetime
    body_size: int | None = None  # of the body received; None on rows from before 0002
    body_sha256: str | None = None

    @property
    def body_complete(self) -> bool:
        """False when only a prefix was kept (refused unauthenticated input)."""
        return self.body_size is None or len(self.body) == self.body_size


def _engine(url: str) -> Engine:
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend not in _INSERTS:
        raise ValueError(f"unsupported ledger database {backend!r}: use sqlite:/// or postgresql+psycopg://")
    if backend == "postgresql":
        # Bounded waits: a hung database must fail the activity, not hang it.
        return create_engine(url, pool_pre_ping=True, connect_args={
            "connect_timeout": 10, "options": "-c statement_timeout=30000"})
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 15})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        # WAL lets ingress and workers (separate processes) share the file.
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=15000")
        cur.close()

    return engine


class Ledger(ReconcileLedger, InventoryLedger):
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = _engine(url)
        self._session = sessionmaker(self.engine, expire_on_commit=False)
        self._insert = _INSERTS[self.engine.dialect.name]

    def close(self) -> None:
        self.engine.dispose()

    def migrate(self, revision: str = "head") -> None:
        """Bring the schema up to `revision`; a no-op when already there.

        Safe when several workers start at once: migrations are serialised by
        a PostgreSQL advisory lock, or a lock file next to the SQLite file.
        """
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        with self._migration_lock(), self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
            config.attributes["connection"] = conn
            command.upgrade(config, revision)

    @contextmanager
    def _migration_lock(self) -> Iterator[None]:
        database = self.engine.url.database
        if self.engine.dialect.name != "sqlite" or not database or database == ":memory:":
            yield
            return
        with open(f"{database}.migrate.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    # id map ----------------------------------------------------------------
    def map_id(self, system: str, entity: str, external_id: str | int, key: str) -> bool:
        """Record that `external_id` in `system` is `key`. True if new, False if
        already recorded; IdConflict if either side is mapped to something else."""
        external_id = str(external_id)
        stmt = self._insert(IdMapping).values(
            system=system, entity=entity, external_id=external_id, key=key, created_at=utcnow()
        ).on_conflict_do_nothing().returning(IdMapping.id)
        with self._session.begin() as s:
            inserted = s.execute(stmt).first() is not None
        if inserted:
            return True
        existing = self.key_for(system, entity, external_id)
        if existing == key:
            return False
        if existing is None:
            other = self.external_id_for(system, entity, key)
            raise IdConflict(f"{system} {entity} key {key!r} is already mapped to id {other!r}")
        raise IdConflict(f"{system} {entity} id {external_id!r} is already mapped to key {existing!r}")

    def key_for(self, system: str, entity: str, external_id: str | int) -> str | None:
        with self._session() as s:
            return s.scalar(select(IdMapping.key).where(
                IdMapping.system == system, IdMapping.entity == entity,
                IdMapping.external_id == str(external_id)))

    def external_id_for(self, system: str, entity: str, key: str) -> str | None:
        with self._session() as s:
            return s.scalar(select(IdMapping.external_id).where(
                IdMapping.system == system, IdMapping.entity == entity, IdMapping.key == key))

    def external_ids_for(self, system: str, entity: str, keys: Iterable[str]) -> dict[str, str]:
        """key -> external id, for the keys that are mapped."""
        keys = sorted(set(keys))
        if not keys:
            return {}
        with self._session() as s:
            rows = s.execute(select(IdMapping.key, IdMapping.external_id).where(
                IdMapping.system == system, IdMapping.entity == entity,
                IdMapping.key.in_(keys)))
            return {key: external_id for key, external_id in rows}

    def remap_id(self, system: str, entity: str, external_id: str | int, key: str) -> None:
        """Map `external_id` to `key`, replacing what either was mapped to: for
        mappings that are a cache of another system's current state."""
        external_id = str(external_id)
        with self._session.begin() as s:
            s.execute(delete(IdMapping).where(
                IdMapping.system == system, IdMapping.entity == entity,
                or_(IdMapping.key == key, IdMapping.external_id == external_id)))
            s.execute(self._insert(IdMapping).values(
                system=system, entity=entity, external_id=external_id, key=key,
                created_at=utcnow()).on_conflict_do_nothing())

    def forget_ids(self, system: str, entity: str, keys: Iterable[str] | None = None) -> int:
        """Drop the mappings of `keys` (all of the entity's when None); how many went."""
        stmt = delete(IdMapping).where(IdMapping.system == system, IdMapping.entity == entity)
        if keys is not None:
            stmt = stmt.where(IdMapping.key.in_(sorted(set(keys))))
        with self._session.begin() as s:
            return s.execute(stmt).rowcount or 0

    # business events -------------------------------------------------------
    def append_event(self, event: EventLike, *, type: str | None = None) -> bool:
        """Append `event`; True if it is new, False if `event_id` was already recorded."""
        event_type = type or getattr(event, "type", None) or event.__class__.__name__
        stmt = self._insert(BusinessEventRow).values(
            event_id=event.event_id,
            type=event_type,
            correlation_id=event.correlation_id,
            occurred_at=event.occurred_at,
            recorded_at=event.recorded_at,
            source_system=event.source_system,
            payload=event.model_dump(mode="json"),
        ).on_conflict_do_nothing(index_elements=["event_id"]).returning(BusinessEventRow.seq)
        # RETURNING, not rowcount: the row tells us reliably on both backends.
        with self._session.begin() as s:
            return s.execute(stmt).first() is not None

    def events_for(self, correlation_id: str) -> list[RecordedEvent]:
        """The saga's events in the order they were recorded."""
        with self._session() as s:
            rows = s.scalars(select(BusinessEventRow)
                             .where(BusinessEventRow.correlation_id == correlation_id)
                             .order_by(BusinessEventRow.seq))
            return [_recorded(r) for r in rows]

    def events_of_order(self, store: str, woo_order_id: int) -> list[RecordedEvent]:
        """Every event about one order: its OrderSaga and its refund sagas,
        in the order they were recorded."""
        refunds = f"refund:{store}:{woo_order_id}:%"
        with self._session() as s:
            rows = s.scalars(select(BusinessEventRow).where(
                (BusinessEventRow.correlation_id == f"order:{store}:{woo_order_id}")
                | BusinessEventRow.correlation_id.like(refunds))
                .order_by(BusinessEventRow.seq))
            return [_recorded(r) for r in rows]

    def event(self, event_id: str) -> RecordedEvent | None:
        with self._session() as s:
            row = s.scalar(select(BusinessEventRow).where(BusinessEventRow.event_id == event_id))
            return _recorded(row) if row else None

    # webhook inbox ---------------------------------------------------------
    def inbox_add(self, *, store: str, topic: str, headers: dict[str, Any], body: bytes,
                  delivery_id: str | None = None,
                  status: InboxStatus = InboxStatus.RECEIVED, error: str | None = None,
                  keep_bytes: int | None = None) -> int:
        """Store a delivery exactly as received; returns its inbox id.

        `keep_bytes` keeps only that many leading bytes of the body (for input
        nobody vouched for); its size and SHA-256 are recorded either way.
        """
        body = bytes(body)
        kept = body if keep_bytes is None else body[:keep_bytes]
        now = utcnow()
        row = InboxRow(store=store, delivery_id=delivery_id, topic=topic, headers=headers,
                       body=kept, body_size=len(body),
                       body_sha256=hashlib.sha256(body).hexdigest(),
                       status=InboxStatus(status).value, error=error,
                       attempts=0, received_at=now, updated_at=now)
        with self._session.begin() as s:
            s.add(row)
            s.flush()
            return row.id

    def inbox_find(self, *, store: str, delivery_id: str, topic: str) -> int | None:
        """A signed entry (not a rejected one) with this delivery id and topic."""
        with self._session() as s:
            return s.execute(select(InboxRow.id).where(
                InboxRow.store == store, InboxRow.delivery_id == delivery_id,
                InboxRow.topic == topic, InboxRow.status != InboxStatus.REJECTED.value)
                .order_by(InboxRow.id).limit(1)).scalar_one_or_none()

    def inbox_get(self, item_id: int) -> InboxItem | None:
        with self._session() as s:
            row = s.get(InboxRow, item_id)
            return _inbox_item(row) if row else None

    def inbox_mark(self, item_id: int, status: InboxStatus, *, error: str | None = None) -> None:
        self._inbox_update(item_id, status=InboxStatus(status).value, error=error)

    def inbox_attempt_failed(self, item_id: int, error: str, *, max_attempts: int) -> InboxStatus:
        """Count a failed forward; after `max_attempts` the delivery is dead."""
        with self._session.begin() as s:
            row = s.get(InboxRow, item_id, with_for_update=True)
            if row is None:
                raise KeyError(f"no inbox item {item_id}")
            row.attempts += 1
            row.error = error
            if row.attempts >= max_attempts:
                row.status = InboxStatus.DEAD.value
            row.updated_at = utcnow()
            return InboxStatus(row.status)

    def inbox_pending(self, *, limit: int = 100, store: str | None = None,
                      received_before: datetime | None = None) -> list[InboxItem]:
        """Deliveries still to forward, oldest first (what the relay works through)."""
        query = select(InboxRow).where(InboxRow.status == InboxStatus.RECEIVED.value)
        if store is not None:
            query = query.where(InboxRow.store == store)
        if received_before is not None:
            query = query.where(InboxRow.received_at < received_before)
        with self._session() as s:
            return [_inbox_item(r) for r in s.scalars(query.order_by(InboxRow.id).limit(limit))]

    def inbox_count(self, status: InboxStatus = InboxStatus.RECEIVED) -> int:
        """How many deliveries are in `status` (the relay's true backlog for RECEIVED)."""
        with self._session() as s:
            return s.scalar(select(func.count()).select_from(InboxRow)
                            .where(InboxRow.status == InboxStatus(status).value)) or 0

    def _inbox_update(self, item_id: int, **values: Any) -> None:
        with self._session.begin() as s:
            result = s.execute(update(InboxRow).where(InboxRow.id == item_id)
                               .values(updated_at=utcnow(), **values))
            if result.rowcount != 1:
                raise KeyError(f"no inbox item {item_id}")


def _recorded(row: BusinessEventRow) -> RecordedEvent:
    return RecordedEvent(seq=row.seq, event_id=row.event_id, type=row.type,
                         correlation_id=row.correlation_id, occurred_at=row.occurred_at,
                         recorded_at=row.recorded_at, source_system=row.source_system,
                         payload=row.payload)


def _inbox_item(row: InboxRow) -> InboxItem:
    return InboxItem(id=row.id, store=row.store, delivery_id=row.delivery_id, topic=row.topic,
                     headers=row.headers, body=row.body, status=InboxStatus(row.status),
                     error=row.error, attempts=row.attempts, received_at=row.received_at,
                     updated_at=row.updated_at, body_size=row.body_size,
                     body_sha256=row.body_sha256)
