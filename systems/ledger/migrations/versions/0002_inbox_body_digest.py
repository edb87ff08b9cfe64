"""Inbox: size and SHA-256 of each delivery's body, so refused unsigned
input can be kept as a digest and a prefix instead of whole.

Both columns are nullable: rows from 0001 keep NULL (their body is whole),
and a process still on 0001's code can go on inserting without them.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN of a nullable column: no table rebuild on SQLite.
    op.add_column("webhook_inbox", sa.Column("body_size", sa.Integer(), nullable=True))
    op.add_column("webhook_inbox", sa.Column("body_sha256", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("webhook_inbox") as batch:
        batch.drop_column("body_sha256")
        batch.drop_column("body_size")
