"""Names shared by whoever enqueues tasks and the worker that runs them.

Everything lives under one Redis key prefix (the *namespace*), so several shops — or
several test runs — can share one Redis without seeing each other's queue.
"""

from __future__ import annotations

from dataclasses import dataclass

DRAIN_OUTBOX = "vpnsales.outbox.drain"
"""The task that drains the transactional outbox (kicked after commits, and periodic)."""


@dataclass(frozen=True, slots=True)
class Namespace:
    prefix: str = "vpnsales"

    def __post_init__(self) -> None:
        if not self.prefix or any(c.isspace() for c in self.prefix):
            raise ValueError("namespace prefix must be a non-empty word")

    @property
    def queue(self) -> str:
        """The Redis stream the broker uses."""
        return f"{self.prefix}:tasks"

    @property
    def consumer_group(self) -> str:
        return f"{self.prefix}:workers"

    @property
    def drain_flag(self) -> str:
        """Set while a drain is queued and has not started yet (kick coalescing)."""
        return f"{self.prefix}:outbox:drain-queued"

    def lock(self, name: str) -> str:
        return f"{self.prefix}:lock:{name}"
