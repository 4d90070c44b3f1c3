"""One worker process for the activation benchmark: ``python -m bench.activation.worker SPEC``."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any


async def _main(spec: dict[str, Any]) -> None:
    from vpnsales.adapters.tasks import Namespace
    from vpnsales.entrypoints.config import load_settings
    from vpnsales.entrypoints.logs import setup_logging
    from vpnsales.entrypoints.worker import run_worker

    setup_logging("WARNING", json_lines=False)
    settings = load_settings(environ={}, overrides=spec["settings"])
    import logging

    logging.getLogger("vpnsales.worker").setLevel(logging.INFO)  # "worker started"
    await run_worker(
        settings,
        database_url=spec["database_url"],
        redis_url=spec["redis_url"],
        namespace=Namespace(spec["namespace"]),
        concurrency=spec.get("concurrency", 50),
        shutdown_grace=5.0,
    )


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as f:
        asyncio.run(_main(json.load(f)))
