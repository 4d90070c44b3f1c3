"""The taskiq broker, built from settings by a factory (never at import time).

``RedisStreamBroker`` rather than ``ListQueueBroker``: a list pop hands the message to
one worker and forgets it, so a worker killed mid-task loses the task. A stream with a
consumer group keeps each delivery pending until the worker acknowledges it (we ack
after execution); a delivery left pending by a dead worker is claimed again by another
(``XAUTOCLAIM`` after ``idle_timeout``). Every job is idempotent, so at-least-once is
what we want. The real guarantee still lives in PostgreSQL — the outbox leases and the
``SKIP LOCKED`` claims — the queue only says *when* to look.

No result backend: nobody awaits task results; jobs report through logs and metrics.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from taskiq import AsyncBroker
from taskiq_redis import RedisStreamBroker

from vpnsales.adapters.tasks import Namespace
from vpnsales.entrypoints.config import ConfigError, Settings


@dataclass(frozen=True, slots=True, kw_only=True)
class BrokerOptions:
    idle_timeout: timedelta = timedelta(minutes=5)
    """A delivery unacknowledged this long (its worker died) is re-delivered. Longer
    than any job; a re-delivered periodic job is harmless (idempotent, single-flight)."""
    read_count: int = 1
    """Deliveries one worker reads at once. One: the receiver asks for the next
    delivery only when it has room to run it, so a busy worker never sits on
    deliveries (a queued drain, say) that an idle worker could run now."""
    max_length: int = 100_000
    """Approximate cap on the stream length (acknowledged entries are trimmed)."""
    pool_size: int = 50


def redis_url_of(settings: Settings, redis_url: str | None = None) -> str:
    url = redis_url or settings.redis.url
    if not url:
        raise ConfigError(
            "redis.url is not set: set VPNSALES_REDIS__URL, or start through `vpnsales run`, "
            "which starts an embedded Redis and passes its URL"
        )
    return url


def namespace_of(settings: Settings, namespace: Namespace | None = None) -> Namespace:
    """``namespace`` if given (tests, the demo), else the shop's ``redis.namespace``."""
    return namespace or Namespace(settings.redis.namespace)


def build_broker(
    settings: Settings,
    *,
    redis_url: str | None = None,
    namespace: Namespace | None = None,
    options: BrokerOptions | None = None,
) -> AsyncBroker:
    """A broker for ``settings`` (tasks are registered separately: ``register_tasks``)."""
    ns = namespace_of(settings, namespace)
    opts = options or BrokerOptions()
    return RedisStreamBroker(
        redis_url_of(settings, redis_url),
        queue_name=ns.queue,
        consumer_group_name=ns.consumer_group,
        consumer_id="0",  # a group created after tasks were queued still sees them
        maxlen=opts.max_length,
        approximate=True,
        idle_timeout=int(opts.idle_timeout.total_seconds() * 1000),
        xread_count=opts.read_count,
        xread_block=1000,
        unacknowledged_lock_timeout=30.0,
        max_connection_pool_size=opts.pool_size,
    )
