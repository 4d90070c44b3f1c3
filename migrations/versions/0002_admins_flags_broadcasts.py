"""admins flags broadcasts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 05:23:47.379718
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "admins",
        sa.Column("telegram_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.BigInteger(), nullable=True),
        sa.Column("name", sa.String(length=256), server_default="", nullable=False),
        sa.CheckConstraint("telegram_id > 0", name=op.f("ck_admins_telegram_id_positive")),
        sa.PrimaryKeyConstraint("telegram_id", name=op.f("pk_admins")),
    )
    op.create_table(
        "flags",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Boolean(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_flags")),
    )
    op.create_table(
        "broadcasts",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("audience_kind", sa.String(length=16), nullable=False),
        sa.Column("audience_tariff_id", sa.UUID(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("photo", sa.Text(), nullable=True),
        sa.Column("button_text", sa.String(length=64), nullable=True),
        sa.Column("button_url", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recipients", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'running', 'cancelled', 'done')",
            name=op.f("ck_broadcasts_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["audience_tariff_id"],
            ["tariffs.id"],
            name=op.f("fk_broadcasts_audience_tariff_id_tariffs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcasts")),
    )
    op.create_index(
        "ix_broadcasts_running",
        "broadcasts",
        ["started_at"],
        unique=False,
        postgresql_where=sa.text("status = 'running'"),
    )
    op.create_table(
        "broadcast_deliveries",
        sa.Column("broadcast_id", sa.UUID(), nullable=False),
        sa.Column("customer_id", sa.UUID(), nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'blocked', 'failed')",
            name=op.f("ck_broadcast_deliveries_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["broadcast_id"],
            ["broadcasts.id"],
            name=op.f("fk_broadcast_deliveries_broadcast_id_broadcasts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_broadcast_deliveries_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint(
            "broadcast_id", "customer_id", name=op.f("pk_broadcast_deliveries")
        ),
    )
    op.create_index(
        "ix_broadcast_deliveries_pending",
        "broadcast_deliveries",
        ["broadcast_id"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_broadcast_deliveries_pending",
        table_name="broadcast_deliveries",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_table("broadcast_deliveries")
    op.drop_index(
        "ix_broadcasts_running",
        table_name="broadcasts",
        postgresql_where=sa.text("status = 'running'"),
    )
    op.drop_table("broadcasts")
    op.drop_table("flags")
    op.drop_table("admins")
