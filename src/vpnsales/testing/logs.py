"""What the processes log, as tests read it: the JSON lines of ``entrypoints.logs``."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from vpnsales.entrypoints.logs import JsonFormatter


@contextmanager
def json_lines(*loggers: str, level: int = logging.INFO) -> Iterator[list[dict[str, Any]]]:
    """The lines ``loggers`` write while the block runs, formatted as in production and
    parsed; the list is filled when the block ends."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    captured: list[dict[str, Any]] = []
    targets = [logging.getLogger(name) for name in loggers]
    levels = [logger.level for logger in targets]
    for logger in targets:
        logger.addHandler(handler)
        logger.setLevel(level)
    try:
        yield captured
    finally:
        for logger, old in zip(targets, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(old)
        captured.extend(json.loads(line) for line in stream.getvalue().splitlines())


__all__ = ["json_lines"]
