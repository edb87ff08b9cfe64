"""Initial ledger: id map, append-only business events, webhook inbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# Column types only (stable); never the models, which move on after this revision.
from systems.ledger.models import BigId, JsonDoc, UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_APPEND_ONLY_SQLITE = """
CREATE TRIGGER business_events_append_only_{op}
BEFORE {op} ON business_events
BEGIN SELECT RAISE(ABORT, 'business_events is append-only'); END
"""
_APPEND_ONLY_PG_FUNCTION = """
CREATE FUNCTION business_events_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'business_events is append-only'; END
$$ LANGUAGE plpgsql
"""
_APPEND_ONLY_PG_TRIGGER = """
CREATE TRIGGER business_events_append_only
BEFORE UPDATE OR DELETE OR TRUNCATE ON business_events
FOR EACH STATEMENT EXECUTE FUNCTION business_events_append_only()
"""


def upgrade() -> None:
    op.create_table(
        "id_map",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("system", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(64), nullable=False),
        sa.Column("external_id", sa.String(255), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_id_map"),
        sa.UniqueConstraint("system", "entity", "external_id", name="uq_id_map_system_entity_external_id"),
        sa.UniqueConstraint("system", "entity", "key", name="uq_id_map_system_entity_key"),
    )
    op.create_table(
        "business_events",
        sa.Column("seq", BigId, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(255), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("correlation_id", sa.String(255), nullable=False),
        sa.Column("occurred_at", UtcDateTime(), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.Column("source_system", sa.String(64), nullable=False),
        sa.Column("payload", JsonDoc, nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_business_events"),
        sa.UniqueConstraint("event_id", name="uq_business_events_event_id"),
    )
    op.create_index("ix_business_events_correlation_id", "business_events", ["correlation_id"])
    op.create_table(
        "webhook_inbox",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("store", sa.String(64), nullable=False),
        sa.Column("delivery_id", sa.String(64), nullable=True),
        sa.Column("topic", sa.String(128), nullable=False),
        sa.Column("headers", JsonDoc, nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_inbox"),
        sa.CheckConstraint("status IN ('received', 'forwarded', 'rejected', 'dead')",
                           name=op.f("ck_webhook_inbox_status")),
    )
    op.create_index("ix_webhook_inbox_status_id", "webhook_inbox", ["status", "id"])

    # The event log is evidence for finance: the database itself refuses edits.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_APPEND_ONLY_PG_FUNCTION)
        op.execute(_APPEND_ONLY_PG_TRIGGER)
    else:
        for statement in ("UPDATE", "DELETE"):
            op.execute(_APPEND_ONLY_SQLITE.format(op=statement))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER business_events_append_only ON business_events")
        op.execute("DROP FUNCTION business_events_append_only()")
    op.drop_table("webhook_inbox")
    op.drop_table("business_events")
    op.drop_table("id_map")
