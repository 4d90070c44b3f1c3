"""Structured logging: JSON lines with correlation ids, personal data and secrets masked.

Context (update id, payment id, correlation id) is carried in ``contextvars`` so every
line logged while handling an update or a job carries it without passing it around.
Security events go to their own logger, ``vpnsales.security``.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from typing import Any

_context: ContextVar[Mapping[str, str]] = ContextVar("vpnsales_log_context", default={})  # noqa: B039

SECURITY_LOGGER = "vpnsales.security"

# Things that must never reach a log line, whatever the caller formatted into it. Each
# pattern comes with a cheap test of ASCII text (and its lower case) that is true
# whenever the pattern could match: most lines ("update 123 message in 4.2 ms") then
# skip most of the eight scans. Non-ASCII text goes through every pattern.
_NO_DIGITS = str.maketrans("", "", "0123456789")


def _digits(text: str) -> int:
    return len(text) - len(text.translate(_NO_DIGITS))


_MASKS: list[tuple[re.Pattern[str], str, Callable[[str, str], bool]]] = [
    (
        re.compile(r"\b\d{6,12}:[A-Za-z0-9_-]{30,}\b"),
        "<bot-token>",
        lambda text, lower: ":" in text,
    ),
    (
        re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"),
        r"\1<token>",
        lambda text, lower: "bearer" in lower,
    ),
    (
        re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)[^'\",\s]+"),
        r"\1<masked>",
        lambda text, lower: "authorization" in lower,
    ),
    (
        re.compile(r"(?i)((?:password|secret|token|api[_-]?key)['\"]?\s*[:=]\s*['\"]?)[^'\",\s}]+"),
        r"\1<masked>",
        lambda text, lower: (
            "password" in lower or "secret" in lower or "token" in lower or "api" in lower
        ),
    ),
    (
        re.compile(r"(?i)(://[^:/\s]+:)[^@/\s]+@"),
        r"\1<masked>@",
        lambda text, lower: "://" in text and "@" in text,
    ),
    (
        re.compile(r"(?<![\w-])(?:\d[ -]?){13,19}(?![\w-])"),
        "<card>",
        lambda text, lower: _digits(text) >= 13,
    ),
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), "<email>", lambda text, lower: "@" in text),
    (
        re.compile(r"(?<![\w-])\+\d[\d ()-]{9,}\d\b"),
        "<phone>",
        lambda text, lower: "+" in text,
    ),
]


def mask(text: str) -> str:
    if not text.isascii():  # Unicode digits, case folding: no shortcut
        for pattern, replacement, _ in _MASKS:
            text = pattern.sub(replacement, text)
        return text
    lower = text.lower()
    for pattern, replacement, could_match in _MASKS:
        if could_match(text, lower):
            masked = pattern.sub(replacement, text)
            if masked != text:
                text, lower = masked, masked.lower()
    return text


@contextmanager
def log_context(**values: object) -> Iterator[None]:
    """Add ids to every log line inside the block (nested blocks merge)."""
    token = bind_log_context(**values)
    try:
        yield
    finally:
        reset_log_context(token)


def bind_log_context(**values: object) -> Token[Mapping[str, str]]:
    """:func:`log_context` without the block, for hot paths: add ids until
    :func:`reset_log_context` is given the token returned (in a ``finally``)."""
    return _context.set(
        {**_context.get(), **{k: str(v) for k, v in values.items() if v is not None}}
    )


def reset_log_context(token: Token[Mapping[str, str]]) -> None:
    _context.reset(token)


def current_context() -> Mapping[str, str]:
    return _context.get()


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": mask(record.getMessage()),
        }
        entry.update(_context.get())
        extra = getattr(record, "fields", None)
        if isinstance(extra, Mapping):
            entry.update({k: mask(str(v)) for k, v in extra.items()})
        if record.exc_info:
            entry["exc"] = mask(self.formatException(record.exc_info))
        return _ENCODER.encode(entry)


_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str)
"""One encoder for every line (``json.dumps`` with options builds one per call)."""


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        base = mask(super().format(record))
        ctx = " ".join(f"{k}={v}" for k, v in _context.get().items())
        extra = getattr(record, "fields", None)
        if isinstance(extra, Mapping):
            ctx = " ".join([ctx, *(f"{k}={mask(str(v))}" for k, v in extra.items())]).strip()
        return f"{base} [{ctx}]" if ctx else base


def setup_logging(level: str = "INFO", *, json_lines: bool = True) -> None:
    """Configure the root logger once per process."""
    handler = logging.StreamHandler(sys.stderr)
    if json_lines:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    # no formatter here prints the caller, thread or process: don't collect them for every
    # record (the logging HOWTO's "Optimization"; the caller's frame walk is most of it)
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiogram.event", "httpx", "httpcore", "asyncio", "taskiq"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def security_event(event: str, **fields: object) -> None:
    """A security-relevant event (forged webhook, refused admin access, …)."""
    logging.getLogger(SECURITY_LOGGER).warning(event, extra={"fields": {"event": event, **fields}})
