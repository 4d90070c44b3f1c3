"""Run the core use-case tests (tests/unit/application) on PostgreSQL.

The unit tests build their app with ``make_shop``; here its factory is the PostgreSQL-
backed test app (``vpnsales.testing.postgres``) over an emptied test database, so the same
behaviours are checked against both the in-memory and the PostgreSQL adapters.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.unit.application import conftest as unit

from vpnsales.testing.app import InMemoryApp
from vpnsales.testing.postgres import postgres_app


@pytest.fixture(autouse=True)
def on_postgres(clean_db: async_sessionmaker[AsyncSession]) -> Iterator[None]:
    unit.APP_FACTORIES.append(lambda **kw: postgres_app(clean_db, **kw))
    yield
    unit.APP_FACTORIES.pop()


@pytest.fixture
async def shop(on_postgres: None) -> InMemoryApp:
    return await unit.make_shop()


_MEMORY_ONLY = (".rows(", ".outbox(", '.get("', "MemoryUnitOfWork", ".db.", ".db[")
"""Tests that look inside the in-memory store to assert; they run in tests/unit only."""


def _reads_memory_store(function: Any) -> bool:
    module = inspect.getmodule(function)
    helpers = {
        name
        for name, obj in vars(module).items()
        if inspect.isfunction(obj)
        and obj.__module__ == module.__name__
        and not name.startswith("test_")
        and any(marker in inspect.getsource(obj) for marker in _MEMORY_ONLY)
    }
    source = inspect.getsource(function)
    return any(marker in source for marker in _MEMORY_ONLY) or any(
        f"{name}(" in source for name in helpers
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = [i for i in items if "usecases" in str(i.path)]
    dropped = [i for i in here if _reads_memory_store(getattr(i, "function", None))]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [i for i in items if i not in dropped]
