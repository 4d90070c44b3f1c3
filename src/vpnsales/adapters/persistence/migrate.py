"""Run the alembic migrations programmatically (``vpnsales migrate``, tests, embedded)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from vpnsales.adapters.persistence.engine import async_url


def _default_script_location() -> Path:
    candidates = [Path.cwd() / "migrations", Path(__file__).resolve().parents[4] / "migrations"]
    for candidate in candidates:
        if (candidate / "env.py").exists():
            return candidate
    raise FileNotFoundError(
        "alembic migrations folder not found (looked in "
        + ", ".join(str(c) for c in candidates)
        + ")"
    )


def alembic_config(url: str, *, script_location: str | Path | None = None) -> Config:
    location = Path(script_location) if script_location else _default_script_location()
    config = Config()
    config.set_main_option("script_location", str(location))
    rendered = async_url(url).render_as_string(hide_password=False)
    config.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    return config


def migrate(url: str, *, revision: str = "head", script_location: str | Path | None = None) -> None:
    """``alembic upgrade <revision>``. Blocking (runs its own event loop): from async code
    call it through ``asyncio.to_thread``."""
    command.upgrade(alembic_config(url, script_location=script_location), revision)


def downgrade(
    url: str, *, revision: str = "base", script_location: str | Path | None = None
) -> None:
    command.downgrade(alembic_config(url, script_location=script_location), revision)
