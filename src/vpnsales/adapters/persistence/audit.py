"""The admin audit log: append-only."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from vpnsales.adapters.persistence.engine import json_dumps
from vpnsales.adapters.persistence.tables import audit_log
from vpnsales.application.ports.repositories import AuditLog


def _jsonable(value: dict[str, object] | None) -> Any:
    # Decimals, UUIDs and datetimes become strings, exactly as the engine would write them
    return None if value is None else json.loads(json_dumps(value))


class SqlAuditLog(AuditLog):
    __slots__ = ("_session",)

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(
        self,
        *,
        actor_telegram_id: int,
        action: str,
        target: str,
        at: datetime,
        before: dict[str, object] | None = None,
        after: dict[str, object] | None = None,
    ) -> None:
        await self._session.execute(
            insert(audit_log).values(
                actor_telegram_id=actor_telegram_id,
                action=action,
                target=target,
                at=at,
                before=_jsonable(before),
                after=_jsonable(after),
            )
        )
