"""The unit of work: one ``AsyncSession`` (one connection, one transaction) per scope."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vpnsales.application.ports.uow import UnitOfWork


class SqlUnitOfWork(UnitOfWork):
    """Commits or rolls back the session shared by the scope's repositories.

    As an async context manager it owns the session: leaving the block without a
    ``commit`` rolls back and the connection goes back to the pool.
    """

    __slots__ = ("session",)

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @classmethod
    def from_factory(cls, factory: async_sessionmaker[AsyncSession]) -> SqlUnitOfWork:
        return cls(factory())

    async def commit(self) -> None:
        await self.session.commit()

    async def rollback(self) -> None:
        await self.session.rollback()

    async def __aenter__(self) -> SqlUnitOfWork:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self.session
        if not session.in_transaction() and not session.sync_session.identity_map:
            return  # unused since the last commit/rollback: no connection to give back
        try:
            if session.in_transaction():
                await session.rollback()
        finally:
            await session.close()
