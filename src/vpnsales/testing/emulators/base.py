"""Shared machinery for the emulators: a real aiohttp server on loopback, a call log,
and fault injection (latency, 5xx, 429, dropped connections).

Each emulator subclasses :class:`EmulatorServer`, registers its routes in
``setup_routes`` and gets faults and recording for free::

    async with RemnawaveEmulator(...) as panel:
        panel.faults.fail_next(3, status=503)
        ...  # talk to panel.base_url
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Self

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class RecordedCall:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    at: float
    """``time.monotonic()`` when the request arrived."""
    status: int | None = None


@dataclass(slots=True)
class Faults:
    """Programmable failures. Counters apply to the next matching requests."""

    latency: float = 0.0
    """Seconds added to every request."""
    fail_count: int = 0
    fail_status: int = 500
    fail_body: bytes = b""
    drop_count: int = 0
    """Close the connection without an answer."""
    throttle_count: int = 0
    """Answer 429 (with ``retry_after``)."""
    retry_after: int = 1
    down: bool = False
    """Drop every connection until cleared."""
    path_filter: str | None = None
    """Only requests whose path contains this substring are affected (``None`` = all)."""

    def fail_next(self, count: int, status: int = 500, body: bytes = b"") -> None:
        self.fail_count, self.fail_status, self.fail_body = count, status, body

    def drop_next(self, count: int) -> None:
        self.drop_count = count

    def throttle_next(self, count: int, retry_after: int = 1) -> None:
        self.throttle_count, self.retry_after = count, retry_after

    def clear(self) -> None:
        self.latency = 0.0
        self.fail_count = self.drop_count = self.throttle_count = 0
        self.down = False
        self.path_filter = None


class DropConnection(Exception):
    """Raised by a handler to close the TCP connection without an HTTP answer."""


@dataclass
class EmulatorServer:
    """Base class: lifecycle, recording and faults. Subclasses add routes."""

    host: str = "127.0.0.1"
    port: int = 0
    clock: Callable[[], datetime] = utc_now
    faults: Faults = field(default_factory=Faults)
    calls: deque[RecordedCall] = field(default_factory=lambda: deque(maxlen=100_000))
    _runner: web.AppRunner | None = field(default=None, init=False, repr=False)
    _site: web.TCPSite | None = field(default=None, init=False, repr=False)

    # -- to override -----------------------------------------------------------------
    def setup_routes(self, app: web.Application) -> None:
        raise NotImplementedError

    def throttled_response(self) -> web.StreamResponse:
        """The 429 answer in this service's own format."""
        return web.json_response(
            {"message": "Too Many Requests", "retry_after": self.faults.retry_after},
            status=429,
            headers={"Retry-After": str(self.faults.retry_after)},
        )

    def failure_response(self) -> web.StreamResponse:
        return web.Response(status=self.faults.fail_status, body=self.faults.fail_body)

    # -- lifecycle -------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        if self._site is None:
            raise RuntimeError("emulator is not started")
        return f"http://{self.host}:{self.port}"

    def build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware], client_max_size=8 * 1024**2)
        self.setup_routes(app)
        return app

    async def start(self) -> Self:
        self._runner = web.AppRunner(self.build_app(), access_log=None, handle_signals=False)
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, self.host, self.port)
        await self._site.start()
        server = self._site._server
        if self.port == 0 and server is not None:
            sockets: Any = getattr(server, "sockets", None)
            if sockets:
                self.port = sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        self._runner = None
        self._site = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- recording -------------------------------------------------------------------
    def calls_to(self, fragment: str, method: str | None = None) -> list[RecordedCall]:
        return [
            c
            for c in self.calls
            if fragment in c.path and (method is None or c.method == method.upper())
        ]

    # -- middleware ------------------------------------------------------------------
    def _affected(self, request: web.Request) -> bool:
        return self.faults.path_filter is None or self.faults.path_filter in request.path

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        body = await request.read()
        call = RecordedCall(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers=dict(request.headers),
            body=body,
            at=time.monotonic(),
        )
        self.calls.append(call)
        faults = self.faults
        if self._affected(request):
            if faults.latency:
                await asyncio.sleep(faults.latency)
            if faults.down or faults.drop_count > 0:
                if faults.drop_count > 0:
                    faults.drop_count -= 1
                return self._drop(request)
            if faults.throttle_count > 0:
                faults.throttle_count -= 1
                call.status = 429
                return self.throttled_response()
            if faults.fail_count > 0:
                faults.fail_count -= 1
                call.status = faults.fail_status
                return self.failure_response()
        try:
            response = await handler(request)
        except DropConnection:
            return self._drop(request)
        call.status = response.status
        return response

    @staticmethod
    def _drop(request: web.Request) -> web.StreamResponse:
        transport = request.transport
        if transport is not None:
            transport.abort()
        raise asyncio.CancelledError  # aiohttp stops handling; the client sees a reset
