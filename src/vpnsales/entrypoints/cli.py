"""The `vpnsales` command line.

Every command reads settings once (``--config FILE`` or ``VPNSALES_CONFIG``, then
``VPNSALES_*`` environment variables). With no database or Redis URL configured, the
embedded servers are started in ``data_dir``.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from cyclopts import App, Parameter

from vpnsales.entrypoints.config import ConfigError, Settings, load_settings
from vpnsales.entrypoints.logs import setup_logging

T = TypeVar("T")

app = App(
    name="vpnsales",
    help="Sell VPN access through a Telegram bot and run that access for its whole life.",
    version_flags=["--version"],
)
admin_app = App(name="admin", help="Manage the bot's administrators.")
app.command(admin_app)

_state: dict[str, Any] = {}


def _settings() -> Settings:
    settings = _state.get("settings")
    if settings is None:
        try:
            settings = load_settings(_state.get("config"))
        except ConfigError as exc:
            print(f"error: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
        _state["settings"] = settings
        setup_logging(settings.log.level, json_lines=settings.log.json)
    return settings


def _run(coro: Awaitable[T]) -> T:
    try:
        return asyncio.run(coro)  # type: ignore[arg-type]
    except ConfigError as exc:  # raised when a process starts (e.g. no redis.url)
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


@app.meta.default
def main_entry(
    *tokens: Annotated[str, Parameter(show=False, allow_leading_hyphen=True)],
    config: Annotated[Path | None, Parameter(name=["--config", "-c"])] = None,
) -> Any:
    """Run a vpnsales command.

    Parameters
    ----------
    config
        TOML settings file (default: $VPNSALES_CONFIG). Environment variables override it.
    """
    _state["config"] = config
    return app(tokens)


@app.command
def migrate(*, revision: str = "head") -> None:
    """Apply database migrations (to the latest revision by default).

    Parameters
    ----------
    revision
        Alembic revision to upgrade to.
    """
    from vpnsales.adapters.persistence.migrate import migrate as alembic_upgrade
    from vpnsales.entrypoints.runtime import services

    settings = _settings()

    async def go() -> None:
        async with services(settings, run_migrations=False) as found:
            await asyncio.to_thread(alembic_upgrade, found.database_url, revision=revision)

    _run(go())
    print(f"database migrated to {revision}")


@app.command
def seed(file: Path, /) -> None:
    """Create or update tariffs and promo codes from a TOML file (see examples/seed.toml).

    Parameters
    ----------
    file
        The seed file. Entries are matched by their code, so seeding twice is safe.
    """
    from vpnsales.adapters.persistence import (
        SqlPromoCodeRepository,
        SqlTariffRepository,
        SqlUnitOfWork,
        create_engine,
        create_session_factory,
    )
    from vpnsales.entrypoints.runtime import services
    from vpnsales.entrypoints.seed import SeedError, apply_seed, read_seed_file

    settings = _settings()
    try:
        data = read_seed_file(file)
    except SeedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None

    async def go() -> Any:
        async with services(settings) as found:
            engine = create_engine(found.database_url, pool_size=1)
            try:
                async with SqlUnitOfWork(create_session_factory(engine)()) as uow:
                    return await apply_seed(
                        data,
                        uow=uow,
                        tariffs=SqlTariffRepository(uow.session),
                        promos=SqlPromoCodeRepository(uow.session),
                        now=datetime.now(UTC),
                    )
            finally:
                await engine.dispose()

    try:
        result = _run(go())
    except SeedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    print(
        f"tariffs: {result.tariffs_added} added, {result.tariffs_updated} updated; "
        f"promo codes: {result.promos_added} added, {result.promos_updated} updated"
    )


@admin_app.command(name="add")
def admin_add(telegram_id: int, /, *, role: Literal["owner", "support"] = "owner") -> None:
    """Make a Telegram user an administrator of the bot.

    Parameters
    ----------
    telegram_id
        The user's numeric Telegram id (ask @userinfobot).
    role
        owner: everything; support: look up customers, resync, message them.
    """
    from vpnsales.adapters.persistence import SqlUnitOfWork, create_engine, create_session_factory
    from vpnsales.adapters.persistence.admin import SqlAdminRepository
    from vpnsales.application.ports.admin import Admin, AdminRole
    from vpnsales.entrypoints.runtime import services

    settings = _settings()

    async def go() -> str:
        async with services(settings) as found:
            engine = create_engine(found.database_url, pool_size=1)
            try:
                async with SqlUnitOfWork(create_session_factory(engine)()) as uow:
                    admins = SqlAdminRepository(uow.session)
                    existing = await admins.get(telegram_id)
                    admin = Admin(
                        telegram_id=telegram_id,
                        role=AdminRole(role),
                        added_at=existing.added_at if existing else datetime.now(UTC),
                    )
                    if existing is None:
                        await admins.add(admin)
                        verb = "added"
                    else:
                        await admins.save(admin)
                        verb = "updated"
                    await uow.commit()
                    return verb
            finally:
                await engine.dispose()

    verb = _run(go())
    print(f"admin {telegram_id} {verb} with role {role}")


@app.command(name="check-config")
def check_config() -> None:
    """Validate the settings and reach every configured service, with a clear report.

    Exits 1 when something is unreachable or refused.
    """
    from vpnsales.entrypoints.check import check_services

    settings = _settings()
    print(f"settings: OK ({len(settings.panels)} panel(s) configured)")
    database_url = settings.database.url
    redis_url = settings.redis.url
    if database_url is None:
        print("database: not configured; the embedded PostgreSQL will be used")
    if redis_url is None:
        print("redis: not configured; the embedded Redis will be used")
    results = _run(check_services(settings, database_url=database_url, redis_url=redis_url))
    for result in results:
        print(result.line())
    enabled = [
        name
        for name, on in (
            ("YooKassa", bool(settings.yookassa.shop_id)),
            ("CryptoPay", bool(settings.cryptopay.token)),
            ("Telegram Stars", settings.stars.enabled),
        )
        if on
    ]
    print(f"payment methods offered: {', '.join(enabled) or 'none'}")
    if any(not r.ok for r in results):
        raise SystemExit(1)


@app.command
def run() -> None:
    """Run everything in one process: web app, bot, worker and scheduler.

    For small sellers: one process to supervise. The web app serves the payment and
    panel webhooks; the bot is mounted on /webhooks/telegram (telegram.mode = webhook,
    setWebhook is called when telegram.webhook_url is set) or long-polls
    (telegram.mode = polling). The taskiq worker and scheduler run on the same event
    loop over the real Redis broker. With no database or Redis URL configured, an
    embedded PostgreSQL and Redis are started (and migrated) in data_dir.
    Stops gracefully on SIGINT/SIGTERM.
    """
    from vpnsales.entrypoints.allinone import run_all

    _run(run_all(_settings()))


@app.command
def bot() -> None:
    """Run the Telegram bot alone, long-polling for updates (no public URL needed).

    For development, or a seller without a public HTTPS address. Payment webhooks
    are served by `vpnsales web`; the outbox is executed by `vpnsales worker`.
    Stops gracefully on SIGINT/SIGTERM.
    """
    from vpnsales.entrypoints.allinone import run_bot

    _run(run_bot(_settings()))


@app.command
def web() -> None:
    """Run the web app: payment (YooKassa, CryptoPay) and Remnawave webhooks, /healthz,
    /readyz, /metrics, and in webhook mode the bot on /webhooks/telegram.

    Listens on web.host:web.port. Stateless: run several behind a load balancer.
    Stops gracefully on SIGINT/SIGTERM.
    """
    from vpnsales.entrypoints.allinone import run_web

    _run(run_web(_settings()))


@app.command
def worker(*, concurrency: int = 50, metrics_port: int | None = None) -> None:
    """Run a taskiq worker: drains the outbox (panel provisioning, notifications,
    refunds) and runs the periodic jobs the scheduler enqueues.

    Needs redis.url and database.url (several workers may share them).
    Stops gracefully on SIGINT/SIGTERM, finishing the jobs in progress.

    Parameters
    ----------
    concurrency
        Jobs running at once in this process.
    metrics_port
        Serve this process's Prometheus metrics on this port.
    """
    from vpnsales.entrypoints.worker import run_worker

    settings = _settings()
    _run(run_worker(settings, concurrency=concurrency, metrics_port=metrics_port))


@app.command
def scheduler() -> None:
    """Run the scheduler: enqueues the periodic jobs (expiry sweep, reminders, outbox
    safety net, reconciliation, stale payments, auto-renewal, broadcasts).

    Run exactly one. Needs redis.url. Stops on SIGINT/SIGTERM.
    """
    from vpnsales.entrypoints.worker import run_scheduler

    _run(run_scheduler(_settings()))


DEMO_SHUTDOWN_BUDGET = 40.0
"""Seconds the demo may take to shut down after its timeout before the process exits."""


def _exit_if_stuck(after: float) -> None:
    """A last resort for a demo whose shutdown hangs: a daemon thread (it works even
    when the event loop is blocked) dumps every thread's stack to stderr and exits 1."""
    import faulthandler
    import os
    import threading

    def fire() -> None:
        print(f"DEMO FAILED: still running {after:.0f}s after start; exiting", flush=True)
        faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
        sys.stderr.flush()
        os._exit(1)

    timer = threading.Timer(after, fire)
    timer.daemon = True
    timer.start()


@app.command
def demo(
    *,
    database_url: str | None = None,
    redis_url: str | None = None,
    data_dir: Path | None = None,
    seed: Path | None = None,
    timeout: float = 120.0,
) -> None:
    """Run the whole shop on this machine with a scripted customer; no configuration.

    Starts an embedded PostgreSQL and Redis, emulators of Telegram, Remnawave, 3x-UI,
    YooKassa and CryptoPay, and the real web app, bot, worker and scheduler. A customer
    starts the bot, takes the trial, buys with each provider, gets a reminder, expires
    (a steerable clock), renews and is reactivated, then is refunded. Prints a
    transcript and exits 0 when every step passed (1 with the stalled step otherwise).

    Parameters
    ----------
    database_url
        Use this PostgreSQL instead of the embedded one (migrated to the latest
        revision; the demo adds its tariffs and a new customer to it).
    redis_url
        Use this Redis instead of the embedded one (the demo's keys are removed afterwards).
    data_dir
        Where the embedded servers keep their data (default: a temporary directory).
    seed
        Tariffs to sell (default: examples/seed.toml).
    timeout
        Seconds before the demo gives up and exits 1.
    """
    import os

    from vpnsales.entrypoints.demo import run_demo

    setup_logging(os.environ.get("VPNSALES_DEMO_LOG", "WARNING"), json_lines=False)
    _exit_if_stuck(timeout + DEMO_SHUTDOWN_BUDGET)
    code = _run(
        run_demo(
            database_url=database_url,
            redis_url=redis_url,
            data_dir=data_dir,
            seed_file=seed,
            timeout=timeout,
        )
    )
    if code:
        raise SystemExit(code)


def main() -> None:
    """Console script entry point."""
    app.meta()


if __name__ == "__main__":
    main()
