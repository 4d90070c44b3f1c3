"""Shared resilience for the panel adapters: timeouts, retries with backoff, circuit breaker.

Both dialect packages (``remnawave``, ``xui``) build on :class:`ResilientHttp`; they never
import each other.

* Retried: network errors (connect/read failures, dropped connections, timeouts), HTTP 5xx
  and 429. Never other 4xx. ``Retry-After`` (seconds or an HTTP date) is honoured, capped by
  :attr:`RetryPolicy.max_retry_after`.
* Backoff: ``base_delay * 2**n`` capped at ``max_delay``, multiplied by a random factor in
  ``[1 - jitter, 1 + jitter]``.
* The circuit breaker counts failed *operations* (a request whose retries are exhausted).
  ``failure_threshold`` consecutive failures open it; after ``reset_timeout`` seconds one
  probe is let through (half-open); its success closes the circuit, its failure reopens it.
  While open, calls fail at once with :class:`PanelUnavailable`.
* An optional :class:`PanelObserver` hears of every call (panel, HTTP method, outcome,
  duration with retries) and of every change of the circuit's state (metrics).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any, Protocol

import httpx

from vpnsales.application.ports.panels import CircuitState, PanelUnavailable

logger = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
MonotonicClock = Callable[[], float]


class CallOutcome(StrEnum):
    OK = "ok"
    REJECTED = "rejected"
    """A 4xx answer the caller interprets (not retried)."""
    UNAVAILABLE = "unavailable"
    """Retries exhausted."""
    CIRCUIT_OPEN = "circuit_open"
    """Refused at once: the circuit is open."""
    ERROR = "error"
    """Anything else (cancelled, an unexpected exception)."""


class PanelObserver(Protocol):
    """Hears of panel calls and circuit changes (metrics). Must return at once."""

    def call_finished(
        self, panel_id: str, method: str, outcome: CallOutcome, seconds: float
    ) -> None:
        """One :meth:`ResilientHttp.request` ended (``seconds``: 0 when refused at once)."""
        ...

    def circuit_changed(self, panel_id: str, state: CircuitState) -> None:
        """The panel's circuit is now ``state`` (also told once at start: closed)."""
        ...


class Secret:
    """A string that never shows itself in ``repr``/``str`` (tokens, passwords)."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


def as_secret(value: str | Secret | None) -> Secret | None:
    if value is None or isinstance(value, Secret):
        return value
    return Secret(value)


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    attempts: int = 3
    """Total tries per request (1 = no retry)."""
    base_delay: float = 0.2
    max_delay: float = 5.0
    jitter: float = 0.3
    """Relative spread of each delay (0.3 = ±30 %)."""
    max_retry_after: float = 30.0
    """Longest ``Retry-After`` we accept to wait; longer values are capped."""

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")
        if not 0 <= self.jitter < 1:
            raise ValueError("jitter must be in [0, 1)")

    def delay(self, retry_index: int, retry_after: float | None = None) -> float:
        """Delay before retry number ``retry_index`` (0-based)."""
        backoff: float = min(self.max_delay, self.base_delay * float(2**retry_index))
        if self.jitter:
            backoff *= random.uniform(1 - self.jitter, 1 + self.jitter)
        if retry_after is not None:
            backoff = max(backoff, min(retry_after, self.max_retry_after))
        return backoff


@dataclass(frozen=True, slots=True, kw_only=True)
class Timeouts:
    connect: float = 5.0
    read: float = 15.0
    write: float = 15.0
    pool: float = 5.0

    def to_httpx(self) -> httpx.Timeout:
        return httpx.Timeout(connect=self.connect, read=self.read, write=self.write, pool=self.pool)


class CircuitBreaker:
    """Per-panel circuit breaker with an injectable monotonic clock."""

    def __init__(
        self,
        *,
        failure_threshold: int = 5,
        reset_timeout: float = 30.0,
        clock: MonotonicClock = time.monotonic,
        on_change: Callable[[CircuitState], None] | None = None,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        self.failure_threshold = failure_threshold
        self.reset_timeout = reset_timeout
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._probe_in_flight = False
        self._on_change = on_change
        self._told = CircuitState.CLOSED

    @property
    def state(self) -> CircuitState:
        if self._opened_at is None:
            return CircuitState.CLOSED
        if self._clock() - self._opened_at >= self.reset_timeout:
            return CircuitState.HALF_OPEN
        return CircuitState.OPEN

    @property
    def consecutive_failures(self) -> int:
        return self._failures

    def allow(self) -> bool:
        """Whether a call may go out now (reserves the half-open probe)."""
        state = self.state
        self._tell(state)
        if state is CircuitState.CLOSED:
            return True
        if state is CircuitState.HALF_OPEN and not self._probe_in_flight:
            self._probe_in_flight = True
            return True
        return False

    def record_success(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._probe_in_flight = False
        self._tell(CircuitState.CLOSED)

    def record_failure(self) -> None:
        self._failures += 1
        was_probe = self._probe_in_flight
        self._probe_in_flight = False
        if was_probe or self._failures >= self.failure_threshold:
            if self._opened_at is None or was_probe:
                logger.warning("circuit opened after %d consecutive failures", self._failures)
            self._opened_at = self._clock()
            self._tell(CircuitState.OPEN)

    def _tell(self, state: CircuitState) -> None:
        """Report a change of state (open → half-open shows on the next ``allow``)."""
        if state is not self._told:
            self._told = state
            if self._on_change is not None:
                self._on_change(state)

    def release_probe(self) -> None:
        """A probe ended without a verdict (e.g. cancelled)."""
        self._probe_in_flight = False


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _retryable_status(status: int) -> bool:
    return status >= 500 or status == 429


class ResilientHttp:
    """An ``httpx.AsyncClient`` wrapper adding retries and the circuit breaker.

    ``request`` returns any response that is not retryable (2xx, 3xx, 4xx other than 429)
    and raises :class:`PanelUnavailable` when retries are exhausted or the circuit is open.
    Interpreting 4xx answers is the caller's job.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        panel_id: str,
        retry: RetryPolicy,
        breaker: CircuitBreaker,
        sleep: Sleep = asyncio.sleep,
        observer: PanelObserver | None = None,
    ) -> None:
        self.client = client
        self.panel_id = panel_id
        self.retry = retry
        self.breaker = breaker
        self._sleep = sleep
        self._observer = observer

    async def request(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        observer = self._observer
        if not self.breaker.allow():
            if observer is not None:
                observer.call_finished(self.panel_id, method, CallOutcome.CIRCUIT_OPEN, 0.0)
            raise PanelUnavailable("circuit open", panel_id=self.panel_id)
        if observer is None:
            return await self._send(method, url, json, data, params, headers)
        started = time.perf_counter()
        outcome = CallOutcome.ERROR
        try:
            response = await self._send(method, url, json, data, params, headers)
            outcome = CallOutcome.OK if response.status_code < 400 else CallOutcome.REJECTED
            return response
        except PanelUnavailable:
            outcome = CallOutcome.UNAVAILABLE
            raise
        finally:
            observer.call_finished(self.panel_id, method, outcome, time.perf_counter() - started)

    async def _send(
        self,
        method: str,
        url: str,
        json: Any,
        data: Mapping[str, str] | None,
        params: Mapping[str, str | int] | None,
        headers: Mapping[str, str] | None,
    ) -> httpx.Response:
        """The tries of one request (the circuit already let it through)."""
        last_problem = ""
        try:
            for attempt in range(self.retry.attempts):
                retry_after: float | None = None
                try:
                    response = await self.client.request(
                        method, url, json=json, data=data, params=params, headers=headers
                    )
                except httpx.TransportError as exc:
                    last_problem = f"{type(exc).__name__} on {method} {_safe_path(url)}"
                else:
                    if not _retryable_status(response.status_code):
                        self.breaker.record_success()
                        return response
                    last_problem = f"HTTP {response.status_code} on {method} {_safe_path(url)}"
                    if response.status_code == 429 or response.status_code == 503:
                        retry_after = parse_retry_after(response.headers.get("Retry-After"))
                if attempt + 1 < self.retry.attempts:
                    delay = self.retry.delay(attempt, retry_after)
                    logger.info(
                        "panel %s: %s; retry %d/%d in %.3fs",
                        self.panel_id,
                        last_problem,
                        attempt + 1,
                        self.retry.attempts - 1,
                        delay,
                    )
                    await self._sleep(delay)
        except BaseException:
            self.breaker.release_probe()
            raise
        self.breaker.record_failure()
        logger.warning("panel %s unavailable: %s", self.panel_id, last_problem)
        raise PanelUnavailable(last_problem or "unavailable", panel_id=self.panel_id)


def _safe_path(url: str) -> str:
    """The path of a URL without its query string (queries may carry lookups)."""
    return httpx.URL(url).path if "://" in url else url.split("?", 1)[0]


async def measure(call: Callable[[], Awaitable[Any]]) -> tuple[Any, float]:
    """Run ``call`` and return its result and the elapsed milliseconds."""
    started = time.perf_counter()
    result = await call()
    return result, (time.perf_counter() - started) * 1000


def resilient_transport(
    *,
    panel_id: str,
    timeouts: Timeouts,
    retry: RetryPolicy,
    circuit_failure_threshold: int,
    circuit_reset_timeout: float,
    client: httpx.AsyncClient | None = None,
    monotonic: MonotonicClock | None = None,
    sleep: Sleep | None = None,
    observer: PanelObserver | None = None,
) -> tuple[httpx.AsyncClient, bool, CircuitBreaker, ResilientHttp]:
    """What every panel adapter builds: its HTTP client (owned unless given), a circuit
    breaker and the retrying transport over both, reporting to ``observer`` when given.
    Returns ``(client, owns_client, breaker, http)``."""
    owned = client is None
    http_client = client or httpx.AsyncClient(timeout=timeouts.to_httpx())
    on_change: Callable[[CircuitState], None] | None = None
    if observer is not None:
        observer.circuit_changed(panel_id, CircuitState.CLOSED)
        on_change = functools.partial(observer.circuit_changed, panel_id)
    breaker = CircuitBreaker(
        failure_threshold=circuit_failure_threshold,
        reset_timeout=circuit_reset_timeout,
        on_change=on_change,
        **({"clock": monotonic} if monotonic is not None else {}),
    )
    http = ResilientHttp(
        http_client,
        panel_id=panel_id,
        retry=retry,
        breaker=breaker,
        observer=observer,
        **({"sleep": sleep} if sleep is not None else {}),
    )
    return http_client, owned, breaker, http
