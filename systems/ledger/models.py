"""Ledger tables (SQLAlchemy 2.x typed declarative).

The migrations in `migrations/versions/` create exactly these tables; a test
compares the two so they cannot drift apart.
"""
from __future__ import annotations

from datetime import datetime, timezone
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Deterministic constraint names, so migrations can refer to them on any database.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on the way in and out, also on SQLite (which has no tz)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("ledger times must be timezone-aware")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


JsonDoc = JSON().with_variant(JSONB(), "postgresql")
# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets 64 bits.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UtcDateTime(), dict[str, Any]: JsonDoc}


class IdMapping(Base):
    """One row per (system, entity, external id) -> our key.

    `key` is wooerp's identity for the thing (for orders the saga's business
    key), so the id of the same customer in WooCommerce and in the ERP are two
    rows with one key. A key maps to at most one external id per system.
    """

    __tablename__ = "id_map"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    system: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(255))
    key: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("system", "entity", "external_id"),
        UniqueConstraint("system", "entity", "key"),
    )


class BusinessEventRow(Base):
    """The append-only business event log (triggers refuse UPDATE and DELETE)."""

    __tablename__ = "business_events"
    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(255), unique=True)
    type: Mapped[str] = mapped_column(String(64))
    correlation_id: Mapped[str] = mapped_column(String(255), index=True)
    occurred_at: Mapped[datetime]
    recorded_at: Mapped[datetime]
    source_system: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]


class InboxStatus(StrEnum):
    RECEIVED = "received"  # stored, not yet handed to Temporal
    FORWARDED = "forwarded"  # signal-with-start succeeded
    REJECTED = "rejected"  # permanently unusable (bad signature, unknown topic)
    DEAD = "dead"  # forwarding failed too often; needs a human


class InboxRow(Base):
    """A webhook delivery, raw body kept byte for byte (signatures cover the bytes).

    Only signed deliveries are kept whole. For unauthenticated input (a bad or
    missing signature) `body` holds a short prefix, with the size and SHA-256
    of the whole body, so a flood of junk cannot fill the disk. `body_size`
    and `body_sha256` are NULL on rows written before revision 0002.
    """

    __tablename__ = "webhook_inbox"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    store: Mapped[str] = mapped_column(String(64))
    # Not unique: WooCommerce reuses a delivery id within one second (CONTRACT 7.2).
    delivery_id: Mapped[str | None] = mapped_column(String(64))
    topic: Mapped[str] = mapped_column(String(128))
    headers: Mapped[dict[str, Any]]
    body: Mapped[bytes] = mapped_column(LargeBinary)
    body_size: Mapped[int | None] = mapped_column(Integer)  # of the body received, in bytes
    body_sha256: Mapped[str | None] = mapped_column(String(64))  # hex, of the body received
    status: Mapped[str] = mapped_column(String(16), default=InboxStatus.RECEIVED.value)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint(
            "status IN ('received', 'forwarded', 'rejected', 'dead')", name="status"
        ),
        # The relay scans for pending deliveries in arrival order.
        Index("ix_webhook_inbox_status_id", "status", "id"),
    )
