"""One worker or scheduler process for the worker integration tests, run by path:

    python tests/integration/worker/_process.py worker SPEC.json
    python tests/integration/worker/_process.py scheduler SPEC.json

SPEC is written by the test: settings overrides, database and Redis URLs, the Redis
namespace, the clock file, schedule intervals, the metrics port.

Why real OS processes and a file clock: the tests must kill a worker with SIGKILL
mid-item and run two workers against one Redis and one database, which only separate
processes do faithfully. The simulated day needs one clock shared by all of them; a
``FileClock`` (real time + an offset the test writes to a file) is injected through
``build_container(extra_providers=...)`` here, in the test harness — production code
has no test-mode clock switch at all.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from dishka import Provider, Scope


class FileClock:
    """Implements ``Clock``: real UTC time plus an offset (seconds) read from ``path``.

    The file is re-read only when it changes (stat per call, microseconds). Writers
    replace it atomically (``advance``), so readers never see a torn value."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._offset = timedelta(0)

    def offset(self) -> timedelta:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return self._offset
        stamp = (st.st_ino, st.st_mtime_ns)
        if stamp != self._stamp:
            with open(self.path, encoding="ascii") as handle:
                text = handle.read().strip()
            if text:
                self._offset = timedelta(seconds=float(text))
                self._stamp = stamp
        return self._offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset()

    def advance(self, delta: timedelta) -> datetime:
        """Move the shared clock forward (test side)."""
        new = self.offset() + delta
        tmp = f"{self.path}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="ascii") as handle:
            handle.write(repr(new.total_seconds()))
        os.replace(tmp, self.path)
        return self.now()


def clock_provider(clock: Any) -> Provider:
    """Overrides the composition root's ``Clock`` (later providers win)."""
    from vpnsales.application.ports.clock import Clock

    provider = Provider(scope=Scope.APP)
    provider.provide(lambda: clock, provides=Clock)
    return provider


async def _main(role: str, spec: dict[str, Any]) -> None:
    from vpnsales.adapters.tasks import Namespace
    from vpnsales.entrypoints.config import load_settings
    from vpnsales.entrypoints.logs import setup_logging
    from vpnsales.entrypoints.worker import run_scheduler, run_worker
    from vpnsales.entrypoints.worker.jobs import WorkerTuning
    from vpnsales.entrypoints.worker.schedule import ScheduleIntervals

    setup_logging(spec.get("log_level", "INFO"), json_lines=False)
    settings = load_settings(environ={}, overrides=spec["settings"])
    namespace = Namespace(spec["namespace"])
    if role == "worker":
        await run_worker(
            settings,
            database_url=spec["database_url"],
            redis_url=spec["redis_url"],
            namespace=namespace,
            metrics_port=spec.get("metrics_port"),
            concurrency=spec.get("concurrency", 20),
            tuning=WorkerTuning(**spec.get("tuning", {})),
            extra_providers=[clock_provider(FileClock(spec["clock_file"]))],
            shutdown_grace=5.0,
        )
    else:
        await run_scheduler(
            settings,
            redis_url=spec["redis_url"],
            namespace=namespace,
            intervals=replace(
                ScheduleIntervals.every(int(spec.get("interval", 1))),
                **{k: timedelta(seconds=v) for k, v in spec.get("intervals", {}).items()},
            ),
        )


if __name__ == "__main__":
    role, path = sys.argv[1], sys.argv[2]
    with open(path, encoding="utf-8") as f:
        asyncio.run(_main(role, json.load(f)))
