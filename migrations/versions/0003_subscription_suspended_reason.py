"""subscription suspended reason

Why a subscription is suspended (``ban`` or ``refund``): lifting a ban must only bring
back what the ban suspended, never a subscription whose payment was refunded.

Existing suspended rows are backfilled: a suspended subscription of a customer who is
not banned can only be held by a refund; one of a banned customer is taken to be held
by the ban (what unban did before this revision).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 06:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("subscriptions", sa.Column("suspended_reason", sa.String(length=16)))
    op.execute(
        """
        UPDATE subscriptions AS s
        SET suspended_reason = CASE WHEN c.banned THEN 'ban' ELSE 'refund' END
        FROM customers AS c
        WHERE c.id = s.customer_id AND s.status = 'suspended'
        """
    )
    op.create_check_constraint(
        op.f("ck_subscriptions_suspended_reason_known"),
        "subscriptions",
        "suspended_reason IS NULL OR suspended_reason IN ('ban', 'refund')",
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("ck_subscriptions_suspended_reason_known"), "subscriptions", type_="check"
    )
    op.drop_column("subscriptions", "suspended_reason")
