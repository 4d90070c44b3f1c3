"""payment referrer days

The days a payment earned the customer's referrer, and the referrer's subscription
they went to: a refund of that payment takes them back (a balance reward is found in
the ledger; days left no trace before this revision, so older payments keep theirs).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 09:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "payments",
        sa.Column("referrer_days", sa.Integer(), server_default="0", nullable=False),
    )
    op.add_column(
        "payments",
        sa.Column("referrer_subscription_id", sa.UUID(), nullable=True),
    )
    op.create_foreign_key(
        op.f("fk_payments_referrer_subscription_id_subscriptions"),
        "payments",
        "subscriptions",
        ["referrer_subscription_id"],
        ["id"],
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("fk_payments_referrer_subscription_id_subscriptions"), "payments", type_="foreignkey"
    )
    op.drop_column("payments", "referrer_subscription_id")
    op.drop_column("payments", "referrer_days")
