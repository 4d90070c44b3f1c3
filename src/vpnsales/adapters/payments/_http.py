"""Retry with exponential backoff and jitter, shared by the payment gateways.

The loop only decides *when* to send again; each gateway decides *whether* a response
or a transport error is worth another attempt (and with which delay), because that
depends on the provider's idempotency guarantees.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, Self

import httpx

from vpnsales.application.ports.payments import PaymentGatewayUnavailable
from vpnsales.domain.money import Money

__all__ = ["HttpGateway", "RetryPolicy", "Sleep", "send_with_retries"]

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """Bounded attempts; delays grow ``base * 2**n`` up to ``max_delay``, jittered."""

    attempts: int = 4
    """Total attempts, the first one included."""
    base_delay: float = 0.3
    max_delay: float = 5.0
    max_server_delay: float = 10.0
    """Cap on a delay the server asks for (``retry_after``, ``Retry-After``)."""

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("retry policy needs attempts >= 1 and non-negative delays")

    def backoff(self, retry: int, rng: random.Random) -> float:
        """Delay before retry number ``retry`` (1-based): "equal jitter" backoff."""
        ceiling: float = min(self.max_delay, self.base_delay * 2.0 ** (retry - 1))
        return ceiling / 2 + rng.uniform(0.0, ceiling / 2)

    def server_delay(self, seconds: float) -> float:
        return max(0.0, min(seconds, self.max_server_delay))


async def send_with_retries(
    send: Callable[[], Awaitable[httpx.Response]],
    *,
    what: str,
    policy: RetryPolicy,
    sleep: Sleep,
    rng: random.Random,
    retry_delay: Callable[[httpx.Response, int], float | None],
    retry_transport_error: Callable[[httpx.TransportError], bool],
) -> httpx.Response:
    """Send until a final response or the attempts run out; return the last response.

    ``retry_delay(response, retry)`` returns ``None`` for a final response, else the
    delay before the next attempt. ``retry_transport_error`` says whether a transport
    error may be retried. A transport error on the last attempt (or a non-retryable
    one) becomes :class:`PaymentGatewayUnavailable` naming only the error type, never
    the request (no credentials or bodies in messages; the cause stays chained).
    """
    attempt = 0
    while True:
        attempt += 1
        try:
            response = await send()
        except httpx.TransportError as exc:
            if attempt >= policy.attempts or not retry_transport_error(exc):
                raise PaymentGatewayUnavailable(
                    f"{what}: {type(exc).__name__} after {attempt} attempt(s)"
                ) from exc
            delay = policy.backoff(attempt, rng)
            log.warning(
                "%s: %s, retry %d/%d in %.2fs",
                what,
                type(exc).__name__,
                attempt,
                policy.attempts - 1,
                delay,
            )
            await sleep(delay)
            continue
        delay_or_none = retry_delay(response, attempt)
        if delay_or_none is None or attempt >= policy.attempts:
            return response
        log.warning(
            "%s: HTTP %d, retry %d/%d in %.2fs",
            what,
            response.status_code,
            attempt,
            policy.attempts - 1,
            delay_or_none,
        )
        await response.aclose()
        await sleep(delay_or_none)


def default_sleep() -> Sleep:
    return asyncio.sleep


class GatewayConfig(Protocol):
    @property
    def api_base(self) -> str: ...
    @property
    def connect_timeout(self) -> float: ...
    @property
    def read_timeout(self) -> float: ...
    @property
    def minimum_charge(self) -> Money | None: ...


class HttpGateway:
    """What the HTTP gateways share: their client (closed only when they made it),
    timeouts, the sleep and jitter source of the retries, and the configured minimum."""

    def __init__(
        self,
        config: GatewayConfig,
        *,
        client: httpx.AsyncClient | None = None,
        sleep: Sleep | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._base = config.api_base.rstrip("/")
        self._owns_client = client is None
        self._client = client if client is not None else httpx.AsyncClient()
        self._timeout = httpx.Timeout(config.read_timeout, connect=config.connect_timeout)
        self._sleep = sleep if sleep is not None else default_sleep()
        self._rng = rng if rng is not None else random.Random()  # jitter only
        self._minimum = config.minimum_charge

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    @property
    def minimum_charge(self) -> Money | None:
        return self._minimum
