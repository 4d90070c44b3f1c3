"""The customer change feed: ``LISTEN vpnsales_customer_changed`` on a connection of its own.

Migration 0005's triggers ``NOTIFY`` that channel on every commit that changes a row the
customer summary is read from (``customers``, ``subscriptions``, ``accesses``), with the
customer's id as the payload; a change concerning every customer (a tariff renamed, a
table truncated) is announced as ``*``. ``CustomerChangeFeed.run`` holds one dedicated
asyncpg connection (never a pooled one: a ``LISTEN`` belongs to its session) and tells a
``CustomerChangeSink`` — the bot's ``CustomerDirectory`` — what changed.

While the connection is down nothing is heard, so the sink is told ``watching(False)``
at once (the connection's termination listener, a failed keep-alive query) and
``watching(True)`` after every (re)connection, once ``LISTEN`` is in place: notifications
sent in between are lost, and the sink drops everything it holds both times.
Reconnection backs off exponentially between ``min_backoff`` and ``max_backoff`` (back to
``min_backoff`` after a connection that lasted ``max_backoff``: a flapping server is not
hammered, nor the cache dropped every half second).
Cancelling ``run`` closes the connection and returns nothing but the cancellation.

The password of the database URL stays in this object's connection arguments: it is in
no log line, ``repr`` or message this module writes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol
from uuid import UUID

import asyncpg
from sqlalchemy.engine import URL

from vpnsales.adapters.persistence.engine import async_url
from vpnsales.domain.ids import CustomerId

log = logging.getLogger("vpnsales.persistence.changes")

CHANNEL = "vpnsales_customer_changed"
"""The channel migration 0005's triggers notify."""
EVERYONE = "*"
"""The payload of a change that concerns every customer."""

# connection arguments SQLAlchemy's asyncpg dialect consumes itself
_DIALECT_ONLY = ("prepared_statement_cache_size", "prepared_statement_name_func")


class CustomerChangeSink(Protocol):
    """What the feed tells (``CustomerDirectory`` is one)."""

    def invalidate_customer(self, customer_id: CustomerId) -> None:
        """A committed change to this customer's view or subscriptions."""

    def clear(self) -> None:
        """A committed change that may concern any customer."""

    def watching(self, watched: bool) -> None:
        """``True``: every change from now on will be told; ``False``: changes may go
        unheard. Both times, what was heard before no longer covers what is held."""


class CustomerChangeFeed:
    """Listens for customer changes and tells ``sink``; ``run`` until cancelled."""

    def __init__(
        self,
        url: str | URL,
        sink: CustomerChangeSink,
        *,
        min_backoff: float = 0.5,
        max_backoff: float = 30.0,
        keepalive: float = 30.0,
        connect_timeout: float = 10.0,
        application_name: str = "vpnsales-changes",
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        parsed = async_url(url)
        self._shown = parsed.render_as_string(hide_password=True)
        _, options = parsed.get_dialect()().create_connect_args(parsed)
        for key in _DIALECT_ONLY:
            options.pop(key, None)
        self._connect_args: dict[str, Any] = dict(options)
        self._password = str(options.get("password") or "")
        self._application_name = application_name
        self._sink = sink
        self._min_backoff = min_backoff
        self._max_backoff = max_backoff
        self._keepalive = keepalive
        self._connect_timeout = connect_timeout
        self._sleep = sleep
        self._watched = False
        self._backend_pid: int | None = None
        self.connections = 0
        """Connections made so far (each one followed by ``watching(True)``)."""

    def __repr__(self) -> str:
        state = "watching" if self._watched else "not watching"
        return f"<CustomerChangeFeed {self._shown} {state}>"

    @property
    def watched(self) -> bool:
        return self._watched

    @property
    def backend_pid(self) -> int | None:
        """The listening connection's server process (while connected)."""
        return self._backend_pid

    async def run(self) -> None:
        delay = self._min_backoff
        while True:
            try:
                connection = await self._connect()
            except Exception as exc:  # refused, timed out, authentication, …: retried
                log.warning(
                    "customer change feed: cannot connect to %s (%s); retrying in %.1f s",
                    self._shown,
                    self._redact(exc),
                    delay,
                )
                await self._sleep(delay)
                delay = min(delay * 2, self._max_backoff)
                continue
            connected = time.monotonic()
            try:
                await self._listen(connection)
            except Exception as exc:  # broken connection, failed keep-alive, …
                log.warning("customer change feed: connection lost (%s)", self._redact(exc))
            finally:
                self._report(False)
                self._backend_pid = None
                await self._close(connection)
            if time.monotonic() - connected >= self._max_backoff:
                delay = self._min_backoff  # it worked for a while: not a flapping server
            await self._sleep(delay)
            delay = min(delay * 2, self._max_backoff)

    # -- one connection -----------------------------------------------------------------
    async def _connect(self) -> asyncpg.Connection:
        connection: asyncpg.Connection = await asyncpg.connect(
            **self._connect_args,
            timeout=self._connect_timeout,
            server_settings={"application_name": self._application_name},
        )
        return connection

    async def _listen(self, connection: asyncpg.Connection) -> None:
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _connection: lost.set())
        await connection.add_listener(CHANNEL, self._notified)
        self._backend_pid = connection.get_server_pid()
        self.connections += 1
        log.info("customer change feed: listening on %s", self._shown)
        self._report(True)
        while not lost.is_set():
            try:
                await asyncio.wait_for(lost.wait(), self._keepalive)
            except TimeoutError:
                # a silent network can keep a dead connection "open": ask
                await connection.fetchval("SELECT 1", timeout=self._keepalive)
        log.warning("customer change feed: connection closed")

    @staticmethod
    async def _close(connection: asyncpg.Connection) -> None:
        if connection.is_closed():
            return
        try:
            await connection.close(timeout=2)
        except asyncio.CancelledError:
            connection.terminate()
            raise
        except Exception:
            connection.terminate()

    # -- telling the sink -------------------------------------------------------------
    def _notified(self, _connection: object, _pid: int, _channel: str, payload: str) -> None:
        try:
            if payload == EVERYONE:
                self._sink.clear()
                return
            try:
                customer_id = CustomerId(UUID(payload))
            except ValueError:
                log.warning("customer change feed: unexpected payload %r", payload[:64])
                self._sink.clear()
                return
            self._sink.invalidate_customer(customer_id)
        except Exception:
            log.exception("customer change feed: the sink failed on a change")

    def _report(self, watched: bool) -> None:
        if watched == self._watched and not watched:
            return  # "not watching" once per loss
        self._watched = watched
        try:
            self._sink.watching(watched)
        except Exception:
            log.exception("customer change feed: the sink failed on watching(%s)", watched)

    def _redact(self, exc: BaseException) -> str:
        text = f"{type(exc).__name__}: {exc}"
        if self._password:
            text = text.replace(self._password, "***")
        return text
