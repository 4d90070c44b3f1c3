"""Bot metrics and security events, through the dispatcher ``build_dispatcher`` composes
over the in-memory app: updates by type and outcome with their latency, throttled
customers and refused admin access (logged once, counted).

No network: Bot API calls go to a recording session, the throttle's clock is stepped by
the tests, FSM state lives in memory.
"""

from __future__ import annotations

import gc
import itertools
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from aiogram.client.session.base import BaseSession
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.methods import TelegramMethod
from aiogram.types import CallbackQuery, Chat, Message, Update, User
from dishka import AsyncContainer, make_async_container
from dishka.integrations.aiogram import ContainerMiddleware

from vpnsales.adapters.telegram.i18n import I18n
from vpnsales.application.ports.admin import AdminRole
from vpnsales.entrypoints.bot import BotConfig, attach_container, build_dispatcher
from vpnsales.entrypoints.bot.admin.access import AdminRoster
from vpnsales.entrypoints.logs import SECURITY_LOGGER
from vpnsales.entrypoints.metrics import Metrics
from vpnsales.testing.app import build_in_memory_app
from vpnsales.testing.bot import InMemoryInteractors, ScopedCustomerReader
from vpnsales.testing.builders import a_tariff
from vpnsales.testing.clock import ManualTimer

CUSTOMER = 501
ADMIN = 900


class RecordingSession(BaseSession):
    """Answers every Bot API call locally; ``fail_next`` makes the next one raise."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []
        self.fail_next: Exception | None = None
        self._ids = itertools.count(1)

    async def make_request(self, bot: Bot, method: TelegramMethod[Any], timeout: Any = None) -> Any:
        self.calls.append(type(method).__name__)
        if self.fail_next is not None:
            exc, self.fail_next = self.fail_next, None
            raise exc
        if method.__returning__ is Message:
            chat_id = int(getattr(method, "chat_id", 0) or 0)
            return Message(
                message_id=next(self._ids),
                date=datetime.now(UTC),
                chat=Chat(id=chat_id, type="private"),
                text=getattr(method, "text", None),
            )
        return True

    async def close(self) -> None:
        return None

    async def stream_content(self, *args: Any, **kwargs: Any) -> AsyncIterator[bytes]:
        raise NotImplementedError
        yield b""  # pragma: no cover


class Roster:
    """Stands in for ``AdminRoster``."""

    def __init__(self, admins: dict[int, AdminRole]) -> None:
        self.admins = admins

    def invalidate(self) -> None:
        return None

    async def role(self, telegram_id: int) -> AdminRole | None:
        return self.admins.get(telegram_id)


@dataclass
class BotKit:
    dp: Dispatcher
    bot: Bot
    session: RecordingSession
    clock: ManualTimer
    metrics: Metrics
    container: AsyncContainer
    update_ids: itertools.count[int]

    def value(self, name: str, **labels: str) -> float:
        return self.metrics.registry.get_sample_value(name, labels) or 0.0

    def updates(self, kind: str, outcome: str) -> float:
        return self.value("vpnsales_bot_updates_total", type=kind, outcome=outcome)

    def security(self, kind: str) -> float:
        return self.value("vpnsales_security_events_total", kind=kind)

    async def text(self, user_id: int, text: str) -> None:
        user = User(id=user_id, is_bot=False, first_name="Ann", language_code="en")
        message = Message(
            message_id=next(self.update_ids),
            date=datetime.now(UTC),
            chat=Chat(id=user_id, type="private"),
            from_user=user,
            text=text,
        )
        await self.dp.feed_update(
            self.bot, Update(update_id=next(self.update_ids), message=message)
        )

    async def press(self, user_id: int, data: str) -> None:
        user = User(id=user_id, is_bot=False, first_name="Ann", language_code="en")
        message = Message(
            message_id=1, date=datetime.now(UTC), chat=Chat(id=user_id, type="private"), text="x"
        )
        query = CallbackQuery(
            id=str(next(self.update_ids)),
            from_user=user,
            chat_instance="ci",
            data=data,
            message=message,
        )
        await self.dp.feed_update(
            self.bot, Update(update_id=next(self.update_ids), callback_query=query)
        )


@pytest.fixture
async def kit() -> AsyncIterator[BotKit]:
    app = build_in_memory_app()
    await app.add_tariff(a_tariff(code="basic"))
    metrics = Metrics()
    clock = ManualTimer(1000.0)
    session = RecordingSession()
    bot = Bot("123456:" + "A" * 35, session=session)
    dp = build_dispatcher(
        i18n=I18n(strict=True),
        redis=None,  # type: ignore[arg-type]  # the storage is given: no Redis
        customers=ScopedCustomerReader(app),
        config=BotConfig(admin_ids=frozenset({ADMIN}), throttle_rate=2),
        storage=MemoryStorage(),
        metrics=metrics,
        clock=clock,
    )
    container = make_async_container(
        InMemoryInteractors(app, {AdminRoster: Roster({ADMIN: AdminRole.OWNER})})
    )
    attach_container(dp, container)
    yield BotKit(dp, bot, session, clock, metrics, container, itertools.count(1))
    await container.close()


async def test_a_handled_update_is_counted_and_timed_by_type(kit: BotKit) -> None:
    await kit.text(CUSTOMER, "/start")

    assert kit.session.calls  # the customer was answered
    assert kit.updates("message", "ok") == 1
    assert kit.value("vpnsales_bot_update_seconds_count", type="message") == 1

    kit.clock.advance(1.0)  # a new throttle window
    await kit.press(CUSTOMER, "no-such-button")

    assert kit.updates("callback_query", "ok") == 1
    assert kit.value("vpnsales_bot_update_seconds_count", type="callback_query") == 1
    assert kit.updates("message", "ok") == 1


async def test_a_domain_error_is_rejected_and_a_crash_is_an_error(kit: BotKit) -> None:
    await kit.text(CUSTOMER, "/start t_no_such_tariff")  # TariffNotFound, told to the customer
    kit.clock.advance(1.0)  # a new throttle window
    kit.session.fail_next = RuntimeError("boom")
    await kit.text(CUSTOMER, "/start")

    assert kit.updates("message", "rejected") == 1
    assert kit.updates("message", "error") == 1
    assert kit.updates("message", "ok") == 0
    assert kit.value("vpnsales_bot_update_seconds_count", type="message") == 2


async def test_a_throttled_customer_is_one_security_event_per_window(
    kit: BotKit, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger=SECURITY_LOGGER):
        for _ in range(5):  # the limit is 2 a second: 3 over it in the same window
            await kit.text(CUSTOMER, "hello")

    assert kit.security("customer_throttled") == 1
    events = [r for r in caplog.records if r.name == SECURITY_LOGGER]
    assert [r.getMessage() for r in events] == ["customer_throttled"]
    assert kit.updates("message", "ok") == 5  # answered or dropped: nothing failed

    kit.clock.advance(1.0)  # a new throttle window
    for _ in range(3):
        await kit.text(CUSTOMER, "hello")
    assert kit.security("customer_throttled") == 2


async def test_a_customer_knocking_on_the_admin_panel_is_refused_and_reported(
    kit: BotKit, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger=SECURITY_LOGGER):
        await kit.text(CUSTOMER, "/admin")
        kit.clock.advance(1.0)  # a new throttle window
        await kit.press(CUSTOMER, "adm:m")
        kit.clock.advance(1.0)  # a new throttle window
        await kit.text(CUSTOMER, "/start")  # an ordinary update is no security event

    assert kit.security("admin_access_refused") == 2
    reasons = [
        r.fields["reason"]  # type: ignore[attr-defined]
        for r in caplog.records
        if r.name == SECURITY_LOGGER
    ]
    assert reasons == ["command", "button"]


async def test_an_admin_opening_the_panel_is_no_security_event(kit: BotKit) -> None:
    await kit.text(ADMIN, "/admin")

    assert kit.security("admin_access_refused") == 0
    assert kit.updates("message", "ok") == 1


class CountingScopes:
    """Stands in for the container in dishka's middleware: counts request scopes."""

    def __init__(self, inner: AsyncContainer) -> None:
        self.inner = inner
        self.opened = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.opened += 1
        return self.inner(*args, **kwargs)

    async def get(self, *args: Any, **kwargs: Any) -> Any:
        return await self.inner.get(*args, **kwargs)


def counting_scopes(kit: BotKit) -> CountingScopes:
    counting = CountingScopes(kit.container)
    middlewares = {
        id(m): m
        for observer in kit.dp.observers.values()
        for m in observer.outer_middleware
        if isinstance(m, ContainerMiddleware)
    }
    assert middlewares
    for middleware in middlewares.values():
        middleware.container = counting  # type: ignore[assignment]
    return counting


async def test_a_request_scope_is_opened_once_and_only_when_needed(kit: BotKit) -> None:
    """``attach_container`` opens a request scope around the event only (dishka's own
    set-up also opened an unused one around the whole update), and only when a handler
    or filter asks for a dependency the process-wide container does not give (here every
    interactor is request-scoped; for the production container see
    ``test_postgres_journey``)."""
    counting = counting_scopes(kit)

    await kit.text(CUSTOMER, "/start")  # RegisterCustomer, ListMySubscriptions…: one scope
    assert kit.updates("message", "ok") == 1
    assert "SendMessage" in kit.session.calls
    assert counting.opened == 1

    kit.clock.advance(1.0)  # a new throttle window
    await kit.press(CUSTOMER, "no-such-button")  # answered without any dependency
    assert kit.updates("callback_query", "ok") == 1
    assert counting.opened == 1


async def test_an_update_leaves_no_reference_cycle(kit: BotKit) -> None:
    """Everything an update allocates is freed by reference counting: the request scope
    and the handler data referred to each other, which left every update's objects to
    the garbage collector (a young-generation collection every ~40 updates)."""
    await kit.text(CUSTOMER, "/start")  # registration and first-use caches
    await kit.press(CUSTOMER, "n:m")
    gc.collect()
    gc.disable()
    try:
        for _ in range(5):
            kit.clock.advance(1.0)  # a new throttle window
            await kit.text(CUSTOMER, "/start")
            await kit.press(CUSTOMER, "n:m")
        leaked = gc.collect()
    finally:
        gc.enable()
    assert leaked < 20, leaked  # a cycle per update: ~125 objects here
