"""Reconciliation: runs, their per-day reports, variances, and the staging
area a run works in.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# Column types only (stable); never the models, which move on after this revision.
from systems.ledger.models import Amount, BigId, JsonDoc, UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reconcile_runs",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("run_key", sa.String(255), nullable=False),
        sa.Column("workflow_id", sa.String(255), nullable=False),
        sa.Column("store", sa.String(64), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.Column("summary", JsonDoc, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_reconcile_runs"),
        sa.UniqueConstraint("run_key", name="uq_reconcile_runs_run_key"),
        sa.CheckConstraint("status IN ('running', 'completed', 'failed')",
                           name=op.f("ck_reconcile_runs_status")),
    )
    op.create_index("ix_reconcile_runs_store_status", "reconcile_runs", ["store", "status"])
    op.create_table(
        "reconcile_days",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("run_id", BigId, sa.ForeignKey("reconcile_runs.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("store", sa.String(64), nullable=False),
        sa.Column("business_day", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("orders_compared", sa.Integer(), nullable=False),
        sa.Column("commerce", Amount(), nullable=False),
        sa.Column("erp", Amount(), nullable=False),
        sa.Column("difference", Amount(), nullable=False),
        sa.Column("unexplained", Amount(), nullable=False),
        sa.Column("states", JsonDoc, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_reconcile_days"),
        sa.UniqueConstraint("run_id", "business_day", "currency",
                            name="uq_reconcile_days_run_id_business_day_currency"),
    )
    op.create_index("ix_reconcile_days_store_business_day", "reconcile_days",
                    ["store", "business_day"])
    op.create_table(
        "reconcile_variances",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("run_id", BigId, sa.ForeignKey("reconcile_runs.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("store", sa.String(64), nullable=False),
        sa.Column("business_day", sa.Date(), nullable=False),
        sa.Column("woo_order_id", sa.BigInteger(), nullable=True),
        sa.Column("erp_document", sa.String(64), nullable=True),
        sa.Column("workflow_id", sa.String(255), nullable=True),
        sa.Column("component", sa.String(16), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("commerce", Amount(), nullable=False),
        sa.Column("erp", Amount(), nullable=False),
        sa.Column("difference", Amount(), nullable=False),
        sa.Column("cause", sa.String(32), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_reconcile_variances"),
    )
    op.create_index("ix_reconcile_variances_run_id_business_day", "reconcile_variances",
                    ["run_id", "business_day"])
    op.create_table(
        "reconcile_staging",
        sa.Column("run_key", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("payload", JsonDoc, nullable=False),
        sa.PrimaryKeyConstraint("run_key", "kind", "key", name="pk_reconcile_staging"),
    )


def downgrade() -> None:
    op.drop_table("reconcile_staging")
    op.drop_index("ix_reconcile_variances_run_id_business_day", "reconcile_variances")
    op.drop_table("reconcile_variances")
    op.drop_index("ix_reconcile_days_store_business_day", "reconcile_days")
    op.drop_table("reconcile_days")
    op.drop_index("ix_reconcile_runs_store_status", "reconcile_runs")
    op.drop_table("reconcile_runs")
