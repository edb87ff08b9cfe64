"""Inventory: one row per comparison of a store's stock with the ERP's; the
inbox found by delivery id (ERP notifications are deduplicated on it).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# Column types only (stable); never the models, which move on after this revision.
from systems.ledger.models import BigId, UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inventory_checks",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("check_key", sa.String(255), nullable=False),
        sa.Column("store", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("checked_at", UtcDateTime(), nullable=False),
        sa.Column("compared", sa.Integer(), nullable=False),
        sa.Column("in_step", sa.Integer(), nullable=False),
        sa.Column("repaired", sa.Integer(), nullable=False),
        sa.Column("unresolved", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_inventory_checks"),
        sa.UniqueConstraint("check_key", name="uq_inventory_checks_check_key"),
        sa.CheckConstraint("kind IN ('event', 'full')", name=op.f("ck_inventory_checks_kind")),
    )
    op.create_index("ix_inventory_checks_store_kind_checked_at", "inventory_checks",
                    ["store", "kind", "checked_at"])
    op.create_index("ix_webhook_inbox_store_delivery_id", "webhook_inbox",
                    ["store", "delivery_id"])


def downgrade() -> None:
    op.drop_index("ix_webhook_inbox_store_delivery_id", table_name="webhook_inbox")
    op.drop_index("ix_inventory_checks_store_kind_checked_at", table_name="inventory_checks")
    op.drop_table("inventory_checks")
