"""Expiry sweep over PostgreSQL through the real repository code.

Loads ``--total`` subscriptions (1,000,000 by default) with ``COPY``, ``--due`` percent
of them past their expiry, then measures:

* the time to claim one batch of ``--batch`` due rows (``claim_due``: the partial index
  on ``expires_at WHERE status = 'active'`` + ``FOR UPDATE SKIP LOCKED``), and
* the full sweep throughput: ``--sweepers`` concurrent loops of claim → ``expire`` →
  save → commit until nothing is due, once with the port's per-row ``save``, once
  with the adapter's ``save_all`` (one ``executemany`` per batch), and through the
  application's ``ExpireDueSubscriptions`` interactor (which also locks each
  subscription's accesses, disables them and stages ``sync``/``expired`` outbox
  messages): once as it is now (batch port methods: ``save_all``,
  ``for_subscriptions``, ``add_all`` — a few round trips per batch) and once as a
  verbatim copy of the interactor before them (``per_row_expire``: ~3 round trips per
  row), so "before" and "after" are measured on the same machine in the same run.
  ``interactor_rows_per_second_before`` keeps the figure recorded before the change.

``--accesses N`` gives every due subscription N accesses on distinct panels (0 by
default, like the recorded "before" run); the sweeps then also disable them.

Usage: ``uv run python -m bench.sweep [--total N] [--due PCT] [--batch N] [--sweepers N]
[--accesses N] [--skip-per-row]``
(or ``uv run python bench/sweep/run.py``). The database server is chosen like the
tests' (``VPNSALES_TEST_DATABASE_URL``, then 127.0.0.1:5432, then embedded); a scratch
database is created and dropped. Results go to ``bench/results/sweep.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

if __package__ in (None, ""):  # run as a file: make ``src`` and the repo importable
    sys.path[:0] = [str(Path(__file__).resolve().parents[2])]

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from vpnsales.adapters.memory.clock import ManualClock
from vpnsales.adapters.persistence import (
    SqlAccessRepository,
    SqlOutbox,
    SqlSubscriptionRepository,
    SqlUnitOfWork,
    create_engine,
    create_session_factory,
)
from vpnsales.adapters.persistence.tables import customers, tariffs
from vpnsales.application.common import enqueue_notify, enqueue_sync
from vpnsales.application.interactors.system.expire_due_subscriptions import (
    ExpireDueSubscriptions,
    ExpireDueSubscriptionsCommand,
)
from vpnsales.application.policy import ShopPolicy
from vpnsales.domain.access import access_username
from vpnsales.domain.notifications import expired
from vpnsales.testing.database import (
    copy_records,
    create_database,
    drop_database,
    start_test_server,
)

RESULTS = Path(__file__).resolve().parents[1] / "results" / "sweep.json"
INTERACTOR_ROWS_PER_SECOND_BEFORE = 377
"""``sweep_interactor`` of the run recorded before the batch port methods
(2026-11-22T05:37:48Z, same defaults: 1,000,000 rows, 1 % due, batch 1,000, 2 sweepers,
no accesses)."""
COLUMNS = (
    "id",
    "customer_id",
    "tariff_id",
    "status",
    "started_at",
    "expires_at",
    "traffic_reset",
    "panel_id",
)
ACCESS_COLUMNS = (
    "id",
    "subscription_id",
    "customer_id",
    "panel_id",
    "username",
    "created_at",
    "desired",
    "phase",
    "sync",
)


async def load(
    engine: AsyncEngine, total: int, due: int, now: datetime, accesses_per_due: int = 0
) -> float:
    customer_ids = [uuid4() for _ in range(1000)]
    tariff_id = uuid4()
    async with engine.begin() as connection:
        await connection.execute(
            tariffs.insert().values(
                id=tariff_id,
                code="bench",
                names={"en": "Bench"},
                traffic_reset="NO_RESET",
                panel_id="rw-main",
                availability="everyone",
            )
        )
        await connection.execute(
            customers.insert(),
            [
                {
                    "id": cid,
                    "telegram_id": 1_000_000 + i,
                    "created_at": now,
                    "language": "en",
                    "balance_currency": "RUB",
                }
                for i, cid in enumerate(customer_ids)
            ],
        )
    started = now - timedelta(days=30)
    # due rows are spread over the past day, the rest over the next 30 days
    records = (
        (
            uuid4(),
            customer_ids[i % len(customer_ids)],
            tariff_id,
            "active",
            started,
            now - timedelta(seconds=1 + (i * 86_400) // max(due, 1))
            if i < due
            else now + timedelta(seconds=60 + ((i - due) * 2_592_000) // max(total - due, 1)),
            "NO_RESET",
            "rw-main",
        )
        for i in range(total)
    )
    due_ids: list[tuple[Any, Any]] = []

    def remember(record: tuple[Any, ...], index: int) -> tuple[Any, ...]:
        if index < due and accesses_per_due:
            due_ids.append((record[0], record[1]))
        return record

    begin = time.perf_counter()
    await copy_records(
        engine,
        "subscriptions",
        COLUMNS,
        (remember(r, i) for i, r in enumerate(records)),
        skip_triggers=True,
    )
    if accesses_per_due:
        access_records = (
            (
                access_id,
                sub_id,
                customer_id,
                f"panel-{n}",
                access_username(access_id),
                started,
                "enabled",
                "enabled",
                "in_sync",
            )
            for sub_id, customer_id in due_ids
            for n, access_id in enumerate(uuid4() for _ in range(accesses_per_due))
        )
        await copy_records(engine, "accesses", ACCESS_COLUMNS, access_records, skip_triggers=True)
    async with engine.connect() as connection:
        await connection.execute(text("ANALYZE subscriptions"))
        await connection.execute(text("ANALYZE accesses"))
    return time.perf_counter() - begin


async def time_one_claim(
    sessions: async_sessionmaker[AsyncSession], now: datetime, batch: int, repeats: int = 5
) -> list[float]:
    timings = []
    for _ in range(repeats):
        async with sessions() as session:
            repo = SqlSubscriptionRepository(session)
            begin = time.perf_counter()
            claimed = await repo.claim_due(now, batch)
            timings.append(time.perf_counter() - begin)
            assert claimed, "nothing due"
            await session.rollback()
    return timings


async def sweep(
    sessions: async_sessionmaker[AsyncSession],
    now: datetime,
    batch: int,
    sweepers: int,
    *,
    bulk: bool,
) -> tuple[int, float]:
    async def one() -> int:
        done = 0
        while True:
            async with sessions() as session:
                repo = SqlSubscriptionRepository(session)
                claimed = await repo.claim_due(now, batch)
                if not claimed:
                    return done
                for subscription in claimed:
                    subscription.expire(now)
                if bulk:
                    await repo.save_all(claimed)
                else:
                    for subscription in claimed:
                        await repo.save(subscription)
                await session.commit()
                done += len(claimed)

    begin = time.perf_counter()
    counts = await asyncio.gather(*(one() for _ in range(sweepers)))
    return sum(counts), time.perf_counter() - begin


async def per_row_expire(
    uow: SqlUnitOfWork,
    subscriptions: SqlSubscriptionRepository,
    accesses: SqlAccessRepository,
    outbox: SqlOutbox,
    now: datetime,
    size: int,
) -> tuple[int, int]:
    """``ExpireDueSubscriptions.__call__`` as it was before the batch port methods, kept
    verbatim (single-row port methods only) as the benchmark's "before" path."""
    expired_count = disabled = 0
    while True:
        batch = await subscriptions.claim_due(now, size)
        for subscription in batch:
            subscription.expire(now)
            await subscriptions.save(subscription)
            for access in await accesses.for_subscription(subscription.id, for_update=True):
                if access.desire(subscription.desired_access):
                    await accesses.save(access)
                    await enqueue_sync(outbox, access, now)
                    disabled += 1
            await enqueue_notify(
                outbox,
                expired(subscription.customer_id, subscription.id, subscription.expires_at),
                now,
            )
        await uow.commit()
        expired_count += len(batch)
        if len(batch) < size:
            return expired_count, disabled


async def sweep_with_interactor(
    sessions: async_sessionmaker[AsyncSession],
    now: datetime,
    batch: int,
    sweepers: int,
    *,
    per_row: bool = False,
) -> tuple[int, int, float]:
    """The application's own ``ExpireDueSubscriptions`` over the SQL adapters (claim,
    expire, lock and disable the accesses, stage ``sync``/``expired`` outbox messages),
    or with ``per_row`` its pre-batch version. Returns (expired, disabled, seconds)."""

    async def one() -> tuple[int, int]:
        async with SqlUnitOfWork(sessions()) as uow:
            session = uow.session
            subscriptions = SqlSubscriptionRepository(session)
            accesses = SqlAccessRepository(session)
            outbox = SqlOutbox(session)
            if per_row:
                return await per_row_expire(uow, subscriptions, accesses, outbox, now, batch)
            interactor = ExpireDueSubscriptions(
                uow=uow,
                subscriptions=subscriptions,
                accesses=accesses,
                outbox=outbox,
                clock=ManualClock(now),
                policy=ShopPolicy(sweep_batch=batch),
            )
            result = await interactor(ExpireDueSubscriptionsCommand(max_batches=1_000_000))
            return result.expired, result.accesses_disabled

    begin = time.perf_counter()
    counts = await asyncio.gather(*(one() for _ in range(sweepers)))
    seconds = time.perf_counter() - begin
    return sum(c[0] for c in counts), sum(c[1] for c in counts), seconds


async def reset_due(engine: AsyncEngine) -> None:
    """Back to the loaded state: due rows active again, accesses enabled at version 0,
    outbox empty (so every sweep inserts its messages rather than hitting dedup keys)."""
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "UPDATE subscriptions SET status = 'active', expired_at = NULL "
                "WHERE status = 'expired'"
            )
        )
        await connection.execute(
            text(
                "UPDATE accesses SET desired = 'enabled', sync = 'in_sync', version = 0 "
                "WHERE desired <> 'enabled' OR version <> 0"
            )
        )
        await connection.execute(text("TRUNCATE outbox"))
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text("VACUUM ANALYZE subscriptions, accesses"))


def _rate(rows: int, seconds: float) -> dict[str, Any]:
    return {"rows": rows, "seconds": round(seconds, 3), "rows_per_second": round(rows / seconds)}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    server = await asyncio.to_thread(start_test_server)
    database = await create_database(server, prefix="vpnsales_bench")
    engine = create_engine(database.url, pool_size=args.sweepers + 1, max_overflow=0)
    sessions = create_session_factory(engine)
    now = datetime.now(UTC).replace(microsecond=0)
    due = args.total * args.due // 100
    try:
        load_s = await load(engine, args.total, due, now, args.accesses)
        print(
            f"loaded {args.total:,} subscriptions ({due:,} due,"
            f" {due * args.accesses:,} accesses) in {load_s:.1f} s"
        )
        claims = await time_one_claim(sessions, now, args.batch)
        print(f"claim_due({args.batch}): median {statistics.median(claims) * 1000:.1f} ms")
        swept, seconds = await sweep(sessions, now, args.batch, args.sweepers, bulk=False)
        print(
            f"sweep with save():     {swept:,} rows in {seconds:.2f} s = {swept / seconds:,.0f}/s"
        )
        assert swept == due, (swept, due)
        await reset_due(engine)
        swept_bulk, seconds_bulk = await sweep(sessions, now, args.batch, args.sweepers, bulk=True)
        print(
            f"sweep with save_all(): {swept_bulk:,} rows in {seconds_bulk:.2f} s"
            f" = {swept_bulk / seconds_bulk:,.0f}/s"
        )
        assert swept_bulk == due, (swept_bulk, due)
        per_row: tuple[int, int, float] | None = None
        if not args.skip_per_row:
            await reset_due(engine)
            per_row = await sweep_with_interactor(
                sessions, now, args.batch, args.sweepers, per_row=True
            )
            print(
                f"sweep via the per-row interactor (before): {per_row[0]:,} rows in"
                f" {per_row[2]:.2f} s = {per_row[0] / per_row[2]:,.0f}/s"
            )
            assert per_row[:2] == (due, due * args.accesses), (per_row, due)
        await reset_due(engine)
        swept_app, disabled_app, seconds_app = await sweep_with_interactor(
            sessions, now, args.batch, args.sweepers
        )
        print(
            f"sweep via ExpireDueSubscriptions (after): {swept_app:,} rows in"
            f" {seconds_app:.2f} s = {swept_app / seconds_app:,.0f}/s"
        )
        assert (swept_app, disabled_app) == (due, due * args.accesses), (swept_app, due)
    finally:
        await engine.dispose()
        await drop_database(database)
        await asyncio.to_thread(server.stop)
    return {
        "benchmark": "expiry_sweep",
        "at": now.isoformat(),
        "database": server.mode,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "total_subscriptions": args.total,
        "due": due,
        "batch": args.batch,
        "sweepers": args.sweepers,
        "load_seconds": round(load_s, 2),
        "claim_batch_ms": {
            "median": round(statistics.median(claims) * 1000, 2),
            "min": round(min(claims) * 1000, 2),
            "max": round(max(claims) * 1000, 2),
        },
        "accesses_per_due": args.accesses,
        "sweep_save": _rate(swept, seconds),
        "sweep_save_all": _rate(swept_bulk, seconds_bulk),
        "sweep_interactor_per_row": None if per_row is None else _rate(per_row[0], per_row[2]),
        "sweep_interactor": _rate(swept_app, seconds_app),
        "interactor_rows_per_second_before": INTERACTOR_ROWS_PER_SECOND_BEFORE,
        "interactor_rows_per_second_after": round(swept_app / seconds_app),
        "interactor_speedup_vs_before": round(
            swept_app / seconds_app / INTERACTOR_ROWS_PER_SECOND_BEFORE, 1
        ),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--total", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=1, help="percent of rows past expiry")
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--sweepers", type=int, default=2)
    parser.add_argument(
        "--accesses", type=int, default=0, help="accesses per due subscription (0 = none)"
    )
    parser.add_argument(
        "--skip-per-row",
        action="store_true",
        help="do not re-measure the pre-batch (per-row) interactor path",
    )
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    result = asyncio.run(run(args))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
