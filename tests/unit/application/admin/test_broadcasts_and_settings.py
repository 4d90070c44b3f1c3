"""Broadcasts (create, preview, start, cancel, progress), statistics, maintenance mode."""

from __future__ import annotations

from uuid import uuid4

import pytest

from vpnsales.adapters.memory.admin import MemoryFlagStore
from vpnsales.application.interactors.admin.cancel_broadcast import (
    CancelBroadcast,
    CancelBroadcastCommand,
)
from vpnsales.application.interactors.admin.create_broadcast import (
    CreateBroadcast,
    CreateBroadcastCommand,
)
from vpnsales.application.interactors.admin.get_broadcast_progress import (
    BroadcastProgressView,
    GetBroadcastProgress,
    GetBroadcastProgressCommand,
)
from vpnsales.application.interactors.admin.get_statistics import (
    GetStatistics,
    GetStatisticsCommand,
    Statistics,
)
from vpnsales.application.interactors.admin.preview_broadcast import (
    BroadcastPreview,
    PreviewBroadcast,
    PreviewBroadcastCommand,
)
from vpnsales.application.interactors.admin.set_maintenance_mode import (
    SetMaintenanceMode,
    SetMaintenanceModeCommand,
)
from vpnsales.application.interactors.admin.start_broadcast import (
    StartBroadcast,
    StartBroadcastCommand,
)
from vpnsales.application.ports.admin import Flag
from vpnsales.application.ports.broadcast import (
    Audience,
    AudienceKind,
    BroadcastButton,
    BroadcastStateError,
    BroadcastStatus,
)
from vpnsales.domain.errors import InvalidValue, TariffNotFound
from vpnsales.domain.ids import BroadcastId, PaymentId, TariffId
from vpnsales.domain.payment import Payment, PaymentProvider, PaymentPurpose
from vpnsales.domain.pricing import make_quote
from vpnsales.domain.subscription import SubscriptionStatus
from vpnsales.testing.builders import a_customer, a_tariff, a_trial_tariff, rub

from .conftest import OWNER, AdminKit


async def _create(kit: AdminKit, audience: Audience, **kwargs: object) -> BroadcastId:
    broadcast_id: BroadcastId = await kit.run(
        CreateBroadcast,
        CreateBroadcastCommand(
            actor_telegram_id=OWNER,
            audience=audience,
            text=str(kwargs.pop("text", "News!")),
            **kwargs,  # type: ignore[arg-type]
        ),
    )
    return broadcast_id


async def _preview(kit: AdminKit, broadcast_id: BroadcastId) -> BroadcastPreview:
    preview: BroadcastPreview = await kit.run(
        PreviewBroadcast,
        PreviewBroadcastCommand(actor_telegram_id=OWNER, broadcast_id=broadcast_id),
    )
    return preview


async def _population(kit: AdminKit) -> dict[str, object]:
    """active (paid), trial-only, expired, never paid, banned."""
    pro = await kit.app.add_tariff(a_tariff(code="pro"))
    trial = await kit.app.add_tariff(a_trial_tariff())
    active = await kit.seed(tariff=pro)
    async with kit.app.scope() as p:
        customer = await p.customers.get(active.customer.id, for_update=True)
        assert customer is not None
        customer.has_purchased = True
        await p.customers.save(customer)
        await p.uow.commit()
    trialist = await kit.seed(tariff=trial, is_trial=True)
    expired = await kit.seed(tariff=pro, status=SubscriptionStatus.EXPIRED)
    never = await kit.app.add_customer(a_customer(created_at=kit.now))
    await kit.app.add_customer(a_customer(created_at=kit.now, banned=True))
    return {"pro": pro, "active": active, "trial": trialist, "expired": expired, "never": never}


async def test_preview_counts_each_audience_segment(kit: AdminKit) -> None:
    people = await _population(kit)
    pro_id = people["pro"].id  # type: ignore[attr-defined]
    expected = {
        Audience(kind=AudienceKind.ALL): 4,  # the banned customer is never included
        Audience(kind=AudienceKind.ACTIVE): 2,
        Audience(kind=AudienceKind.TRIAL): 1,
        Audience(kind=AudienceKind.EXPIRED): 1,
        Audience(kind=AudienceKind.NEVER_PAID): 3,
        Audience(kind=AudienceKind.TARIFF, tariff_id=pro_id): 1,
    }
    for audience, count in expected.items():
        broadcast_id = await _create(kit, audience)
        preview = await _preview(kit, broadcast_id)
        assert (audience.kind, preview.recipients) == (audience.kind, count)
        assert preview.status is BroadcastStatus.DRAFT


async def test_create_validates_text_button_and_tariff(kit: AdminKit) -> None:
    with pytest.raises(InvalidValue):
        await _create(kit, Audience(kind=AudienceKind.ALL), text="  ")
    with pytest.raises(InvalidValue):
        await _create(kit, Audience(kind=AudienceKind.ALL), text="x" * 1025, photo="file-1")
    with pytest.raises(InvalidValue):
        BroadcastButton(text="Go", url="javascript:alert(1)")
    with pytest.raises(InvalidValue):
        Audience(kind=AudienceKind.TARIFF)
    with pytest.raises(TariffNotFound):
        await _create(kit, Audience(kind=AudienceKind.TARIFF, tariff_id=TariffId(uuid4())))
    broadcast_id = await _create(
        kit,
        Audience(kind=AudienceKind.ALL),
        photo="file-1",
        button=BroadcastButton(text="Open", url="https://example.com"),
    )
    preview = await _preview(kit, broadcast_id)
    assert preview.message.photo == "file-1"
    assert preview.message.button is not None
    assert [e.action for e in kit.audit()] == ["broadcast.create"]


async def test_start_fixes_recipients_then_progress_and_cancel(kit: AdminKit) -> None:
    await _population(kit)
    broadcast_id = await _create(kit, Audience(kind=AudienceKind.ACTIVE))

    recipients = await kit.run(
        StartBroadcast, StartBroadcastCommand(actor_telegram_id=OWNER, broadcast_id=broadcast_id)
    )

    assert recipients == 2
    assert kit.app.kicker.kicks == 1
    with pytest.raises(BroadcastStateError):
        await kit.run(
            StartBroadcast,
            StartBroadcastCommand(actor_telegram_id=OWNER, broadcast_id=broadcast_id),
        )
    view: BroadcastProgressView = await kit.run(
        GetBroadcastProgress,
        GetBroadcastProgressCommand(actor_telegram_id=OWNER, broadcast_id=broadcast_id),
    )
    assert view.status is BroadcastStatus.RUNNING
    assert (view.progress.total, view.progress.pending) == (2, 2)

    cancel = CancelBroadcastCommand(actor_telegram_id=OWNER, broadcast_id=broadcast_id)
    assert await kit.run(CancelBroadcast, cancel) is True
    assert await kit.run(CancelBroadcast, cancel) is False
    assert [e.action for e in kit.audit() if e.action.startswith("broadcast.")] == [
        "broadcast.create",
        "broadcast.start",
        "broadcast.cancel",
    ]


async def test_statistics_read_models(kit: AdminKit) -> None:
    await _population(kit)
    customer = await kit.app.add_customer(a_customer(created_at=kit.now))
    for provider, amount, paid in (
        (PaymentProvider.YOOKASSA, 300, True),
        (PaymentProvider.YOOKASSA, 500, True),
        (PaymentProvider.CRYPTOPAY, 200, False),
    ):
        payment = Payment(
            id=PaymentId(uuid4()),
            customer_id=customer.id,
            purpose=PaymentPurpose.NEW,
            provider=provider,
            quote=make_quote(rub(amount), tariff_id=None, days=30),
            created_at=kit.now,
        )
        if paid:
            payment.mark_succeeded(rub(amount), kit.now)
        async with kit.app.scope() as p:
            await p.payments.add(payment)
            await p.uow.commit()

    stats: Statistics = await kit.run(GetStatistics, GetStatisticsCommand(actor_telegram_id=OWNER))

    assert stats.customers.total == 6
    assert stats.customers.new_today == 6
    assert (stats.subscriptions.active, stats.subscriptions.trial) == (1, 1)
    assert stats.subscriptions.expired == 1
    [row] = stats.revenue
    assert (row.provider, row.amount, row.payments) == (PaymentProvider.YOOKASSA, rub(800), 2)
    assert (stats.conversion.started, stats.conversion.paid) == (1, 1)


async def test_maintenance_mode_toggles_once_and_is_audited(kit: AdminKit) -> None:
    on = SetMaintenanceModeCommand(actor_telegram_id=OWNER, enabled=True)

    assert await kit.run(SetMaintenanceMode, on) is True
    assert await kit.run(SetMaintenanceMode, on) is False
    async with kit.app.scope() as p:
        assert await MemoryFlagStore(p.uow).get(Flag.MAINTENANCE) is True  # type: ignore[arg-type]
    assert await kit.run(
        SetMaintenanceMode, SetMaintenanceModeCommand(actor_telegram_id=OWNER, enabled=False)
    )
    assert [(e.action, e.before, e.after) for e in kit.audit()] == [
        ("maintenance.on", {"enabled": False}, {"enabled": True}),
        ("maintenance.off", {"enabled": True}, {"enabled": False}),
    ]
