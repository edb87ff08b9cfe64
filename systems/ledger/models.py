"""Ledger tables (SQLAlchemy 2.x typed declarative).

The migrations in `migrations/versions/` create exactly these tables; a test
compares the two so they cannot drift apart.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
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
        # ERP notifications are dropped when their event id was kept already.
        Index("ix_webhook_inbox_store_delivery_id", "store", "delivery_id"),
    )


# reconciliation ---------------------------------------------------------------------
class Amount(TypeDecorator[Decimal]):
    """An exact decimal amount: NUMERIC on PostgreSQL, text on SQLite (whose
    NUMERIC is a float and would lose cents)."""

    impl = Numeric(24, 6)
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(40))
        return dialect.type_descriptor(Numeric(24, 6))

    def process_bind_param(self, value: Decimal | None, dialect: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"amounts must be Decimal, not {type(value).__name__}")
        return str(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        return None if value is None else Decimal(str(value))


class ReconcileRun(Base):
    """One reconciliation of one store over one or more business days.

    `run_key` is the workflow id and its first run id: a run resumed after a
    crash or continued-as-new is the same run; a re-run of the same window
    is a new one, and the newest completed run is the report of its days.
    """

    __tablename__ = "reconcile_runs"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_key: Mapped[str] = mapped_column(String(255), unique=True)
    workflow_id: Mapped[str] = mapped_column(String(255))
    store: Mapped[str] = mapped_column(String(64))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    summary: Mapped[dict[str, Any]]

    __table_args__ = (
        CheckConstraint("status IN ('running', 'completed', 'failed')", name="status"),
        Index("ix_reconcile_runs_store_status", "store", "status"),
    )


class ReconcileDay(Base):
    """A run's report for one business day and currency: each side's states
    and amounts (the variances are rows of their own)."""

    __tablename__ = "reconcile_days"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(BigId, ForeignKey("reconcile_runs.id", ondelete="CASCADE"))
    store: Mapped[str] = mapped_column(String(64))
    business_day: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    orders_compared: Mapped[int] = mapped_column(Integer)
    commerce: Mapped[Decimal] = mapped_column(Amount())
    erp: Mapped[Decimal] = mapped_column(Amount())
    difference: Mapped[Decimal] = mapped_column(Amount())
    unexplained: Mapped[Decimal] = mapped_column(Amount())
    states: Mapped[dict[str, Any]]

    __table_args__ = (
        UniqueConstraint("run_id", "business_day", "currency"),
        Index("ix_reconcile_days_store_business_day", "store", "business_day"),
    )


class ReconcileVariance(Base):
    """One difference of a run's day, its cause and its evidence."""

    __tablename__ = "reconcile_variances"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(BigId, ForeignKey("reconcile_runs.id", ondelete="CASCADE"))
    store: Mapped[str] = mapped_column(String(64))
    business_day: Mapped[date] = mapped_column(Date)
    woo_order_id: Mapped[int | None] = mapped_column(BigInteger)
    erp_document: Mapped[str | None] = mapped_column(String(64))
    workflow_id: Mapped[str | None] = mapped_column(String(255))
    component: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    commerce: Mapped[Decimal] = mapped_column(Amount())
    erp: Mapped[Decimal] = mapped_column(Amount())
    difference: Mapped[Decimal] = mapped_column(Amount())
    cause: Mapped[str] = mapped_column(String(32))
    evidence: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        Index("ix_reconcile_variances_run_id_business_day", "run_id", "business_day"),
    )


class ReconcileStaged(Base):
    """A run's working set while it runs: one snapshot per (kind, key), written
    by the activities that read each side and read back by the compare.
    Deleted when the run's report is stored."""

    __tablename__ = "reconcile_staging"
    run_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    payload: Mapped[dict[str, Any]]


class InventoryCheck(Base):
    """One comparison of a store's stock with what the ERP can sell: how many
    SKUs were compared and how many already showed exactly that. The latest
    full comparison per store is the "inventory synchronization accuracy"."""

    __tablename__ = "inventory_checks"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    check_key: Mapped[str] = mapped_column(String(255), unique=True)  # idempotency
    store: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8))  # "event" or "full"
    checked_at: Mapped[datetime]
    compared: Mapped[int] = mapped_column(Integer)
    in_step: Mapped[int] = mapped_column(Integer)
    repaired: Mapped[int] = mapped_column(Integer)
    unresolved: Mapped[int] = mapped_column(Integer)  # still out of step after the push

    __table_args__ = (
        Index("ix_inventory_checks_store_kind_checked_at", "store", "kind", "checked_at"),
        CheckConstraint("kind IN ('event', 'full')", name="kind"),
    )
