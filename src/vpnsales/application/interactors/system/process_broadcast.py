"""Deliver running broadcasts in leased batches (resumable, cancellable)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from vpnsales.application.ports.broadcast import (
    BroadcastRepository,
    BroadcastSender,
    BroadcastStatus,
    DeliveryStatus,
)
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.notifier import DeliveryOutcome
from vpnsales.application.ports.telemetry import NO_TELEMETRY, Telemetry
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.domain.ids import BroadcastId

_STATUS = {
    DeliveryOutcome.SENT: DeliveryStatus.SENT,
    DeliveryOutcome.BLOCKED: DeliveryStatus.BLOCKED,
    DeliveryOutcome.FAILED: DeliveryStatus.FAILED,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ProcessBroadcastCommand:
    broadcast_id: BroadcastId | None = None
    """One broadcast, or every running one when unset."""
    batch: int = 50
    lease: timedelta = timedelta(minutes=5)
    max_batches: int | None = None
    """Stop after this many batches (the next tick resumes); unbounded when unset."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ProcessBroadcastResult:
    claimed: int = 0
    sent: int = 0
    blocked: int = 0
    failed: int = 0
    finished: int = 0
    cancelled: int = 0


class ProcessBroadcast:
    """Claim a batch of unsent recipients with a lease (short transaction), send each
    outside any transaction and mark it right away — a crash re-sends at most the one
    message in flight; rows leased by a dead worker come back after the lease. The
    broadcast's status is re-read between batches, so a cancel stops it there."""

    def __init__(
        self,
        *,
        uow: UnitOfWork,
        broadcasts: BroadcastRepository,
        sender: BroadcastSender,
        clock: Clock,
        telemetry: Telemetry = NO_TELEMETRY,
    ) -> None:
        self._uow = uow
        self._telemetry = telemetry
        self._broadcasts = broadcasts
        self._sender = sender
        self._clock = clock

    async def __call__(self, command: ProcessBroadcastCommand) -> ProcessBroadcastResult:
        if command.broadcast_id is not None:
            ids = [command.broadcast_id]
        else:
            ids = await self._broadcasts.running()
            await self._uow.commit()
        totals = dict.fromkeys(("claimed", "sent", "blocked", "failed", "finished", "cancelled"), 0)
        for broadcast_id in ids:
            await self._process(broadcast_id, command, totals)
        return ProcessBroadcastResult(**totals)

    async def _process(
        self, broadcast_id: BroadcastId, command: ProcessBroadcastCommand, totals: dict[str, int]
    ) -> None:
        batches = 0
        while command.max_batches is None or batches < command.max_batches:
            batches += 1
            broadcast = await self._broadcasts.get(broadcast_id)
            if broadcast is None or broadcast.status is not BroadcastStatus.RUNNING:
                await self._uow.commit()
                self._telemetry.broadcast_progress(broadcast_id, None)
                if broadcast is not None and broadcast.status is BroadcastStatus.CANCELLED:
                    totals["cancelled"] += 1
                return
            if batches == 1:  # where it stands, once per run; deliveries count on from it
                progress = await self._broadcasts.progress(broadcast_id)
                self._telemetry.broadcast_progress(broadcast_id, progress)
            claimed = await self._broadcasts.claim(
                broadcast_id, self._clock.now(), limit=command.batch, lease=command.lease
            )
            await self._uow.commit()
            if not claimed:
                await self._finish_if_complete(broadcast_id, totals)
                return
            totals["claimed"] += len(claimed)
            for delivery in claimed:
                try:
                    outcome = await self._sender.send(delivery.recipient, broadcast.message)
                except Exception:  # a broken chat must not stop the broadcast
                    outcome = DeliveryOutcome.FAILED
                await self._broadcasts.mark(broadcast_id, delivery.customer_id, _STATUS[outcome])
                await self._uow.commit()
                self._telemetry.broadcast_delivered(broadcast_id, _STATUS[outcome])
                totals[_STATUS[outcome].value] += 1

    async def _finish_if_complete(self, broadcast_id: BroadcastId, totals: dict[str, int]) -> None:
        progress = await self._broadcasts.progress(broadcast_id)
        if progress.pending:
            await self._uow.commit()  # others hold leases; they (or a later tick) finish it
            self._telemetry.broadcast_progress(broadcast_id, progress)
            return
        broadcast = await self._broadcasts.get(broadcast_id, for_update=True)
        if broadcast is not None and broadcast.finish(self._clock.now()):
            await self._broadcasts.save(broadcast)
            totals["finished"] += 1
        await self._uow.commit()
        self._telemetry.broadcast_progress(broadcast_id, None)
