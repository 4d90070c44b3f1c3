"""Broadcasts: an admin-written message delivered to an audience segment.

Recipients are materialised as delivery rows when the broadcast starts; the worker
claims unsent rows with a lease and marks each one right after sending it, so a
restart resumes where it stopped and nobody gets the message twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from vpnsales.application.ports.notifier import DeliveryOutcome, Recipient
from vpnsales.domain.errors import InvalidValue
from vpnsales.domain.ids import BroadcastId, CustomerId, TariffId
from vpnsales.domain.time import ensure_aware

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_BUTTON_TEXT = 64


class AudienceKind(StrEnum):
    ALL = "all"
    ACTIVE = "active"
    """Customers with an ACTIVE subscription."""
    EXPIRED = "expired"
    """Customers with an expired subscription and no active one."""
    TRIAL = "trial"
    """Customers whose only active subscription is a trial."""
    NEVER_PAID = "never_paid"
    TARIFF = "tariff"
    """Customers with an ACTIVE subscription on one tariff."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Audience:
    kind: AudienceKind
    tariff_id: TariffId | None = None

    def __post_init__(self) -> None:
        if (self.kind is AudienceKind.TARIFF) != (self.tariff_id is not None):
            raise InvalidValue("a tariff audience needs a tariff, other audiences none")


@dataclass(frozen=True, slots=True, kw_only=True)
class BroadcastButton:
    text: str
    url: str

    def __post_init__(self) -> None:
        if not self.text.strip() or len(self.text) > MAX_BUTTON_TEXT:
            raise InvalidValue("button text must be 1-64 characters")
        if not self.url.startswith(("https://", "http://", "tg://")):
            raise InvalidValue("button url must be http(s) or tg")


@dataclass(frozen=True, slots=True, kw_only=True)
class BroadcastMessage:
    """What every recipient gets. ``photo`` is a Telegram file id or a stored-bytes ref."""

    text: str
    photo: str | None = None
    button: BroadcastButton | None = None

    def __post_init__(self) -> None:
        limit = MAX_CAPTION if self.photo else MAX_TEXT
        if not self.text.strip():
            raise InvalidValue("broadcast text is empty")
        if len(self.text) > limit:
            raise InvalidValue(f"broadcast text longer than {limit} characters")


class BroadcastStatus(StrEnum):
    DRAFT = "draft"
    RUNNING = "running"
    CANCELLED = "cancelled"
    DONE = "done"


class BroadcastStateError(InvalidValue):
    """A broadcast cannot move that way (start twice…). Shown as an invalid value."""


@dataclass(eq=False, slots=True, kw_only=True)
class Broadcast:
    id: BroadcastId
    created_by: int
    created_at: datetime
    audience: Audience
    message: BroadcastMessage
    status: BroadcastStatus = BroadcastStatus.DRAFT
    started_at: datetime | None = None
    finished_at: datetime | None = None
    recipients: int = 0

    def __post_init__(self) -> None:
        ensure_aware(self.created_at)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Broadcast) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    def start(self, now: datetime) -> None:
        if self.status is not BroadcastStatus.DRAFT:
            raise BroadcastStateError(f"cannot start a {self.status} broadcast")
        self.status = BroadcastStatus.RUNNING
        self.started_at = ensure_aware(now)

    def cancel(self, now: datetime) -> bool:
        """Stop it (a draft or a running one). False when it is already over."""
        if self.status in (BroadcastStatus.CANCELLED, BroadcastStatus.DONE):
            return False
        self.status = BroadcastStatus.CANCELLED
        self.finished_at = ensure_aware(now)
        return True

    def finish(self, now: datetime) -> bool:
        if self.status is not BroadcastStatus.RUNNING:
            return False
        self.status = BroadcastStatus.DONE
        self.finished_at = ensure_aware(now)
        return True


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    BLOCKED = "blocked"
    FAILED = "failed"


@dataclass(frozen=True, slots=True, kw_only=True)
class BroadcastDelivery:
    """One recipient of one broadcast (unique per broadcast and customer)."""

    broadcast_id: BroadcastId
    customer_id: CustomerId
    recipient: Recipient
    status: DeliveryStatus = DeliveryStatus.PENDING


@dataclass(frozen=True, slots=True, kw_only=True)
class BroadcastProgress:
    total: int
    sent: int
    blocked: int
    failed: int

    @property
    def pending(self) -> int:
        return self.total - self.sent - self.blocked - self.failed


class BroadcastRepository(Protocol):
    async def get(
        self, broadcast_id: BroadcastId, *, for_update: bool = False
    ) -> Broadcast | None: ...

    async def add(self, broadcast: Broadcast) -> None: ...

    async def save(self, broadcast: Broadcast) -> None: ...

    async def running(self) -> list[BroadcastId]:
        """Broadcasts in RUNNING status, oldest first."""
        ...

    async def count_audience(self, audience: Audience, now: datetime) -> int:
        """How many non-banned customers the audience has now (preview)."""
        ...

    async def materialise(
        self, broadcast_id: BroadcastId, audience: Audience, now: datetime
    ) -> int:
        """Create a PENDING delivery row for each non-banned customer of the audience
        (idempotent: existing rows stay). Returns the number of rows."""
        ...

    async def claim(
        self, broadcast_id: BroadcastId, now: datetime, *, limit: int, lease: timedelta
    ) -> list[BroadcastDelivery]:
        """Lease up to ``limit`` PENDING rows not leased by someone else (SKIP LOCKED)."""
        ...

    async def mark(
        self, broadcast_id: BroadcastId, customer_id: CustomerId, status: DeliveryStatus
    ) -> None:
        """Record the outcome of one delivery (final)."""
        ...

    async def progress(self, broadcast_id: BroadcastId) -> BroadcastProgress: ...


class BroadcastSender(Protocol):
    """Sends a broadcast message (text, optional photo and URL button) to one chat.
    Respects Telegram's limits; never raises for blocked chats."""

    async def send(self, recipient: Recipient, message: BroadcastMessage) -> DeliveryOutcome: ...
