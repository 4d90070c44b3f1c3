"""Task queue adapters: the outbox kicker over taskiq and Redis-based job locks."""

from vpnsales.adapters.tasks.kicker import DrainSignal, TaskiqTaskKicker
from vpnsales.adapters.tasks.locks import RedisJobLock
from vpnsales.adapters.tasks.names import DRAIN_OUTBOX, Namespace

__all__ = ["DRAIN_OUTBOX", "DrainSignal", "Namespace", "RedisJobLock", "TaskiqTaskKicker"]
