"""Role checks: support may find, view, resync and message; owner-only actions refuse it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from vpnsales.application.interactors.admin._guard import SUPPORT_PERMISSIONS, Permission, can
from vpnsales.application.interactors.admin.add_admin import AddAdmin, AddAdminCommand
from vpnsales.application.interactors.admin.ban_customer import BanCustomer, BanCustomerCommand
from vpnsales.application.interactors.admin.cancel_broadcast import (
    CancelBroadcast,
    CancelBroadcastCommand,
)
from vpnsales.application.interactors.admin.create_broadcast import (
    CreateBroadcast,
    CreateBroadcastCommand,
)
from vpnsales.application.interactors.admin.create_promo_code import (
    CreatePromoCode,
    CreatePromoCodeCommand,
)
from vpnsales.application.interactors.admin.create_tariff import (
    CreateTariff,
    CreateTariffCommand,
)
from vpnsales.application.interactors.admin.deactivate_promo_code import (
    DeactivatePromoCode,
    DeactivatePromoCodeCommand,
)
from vpnsales.application.interactors.admin.find_customer import (
    FindCustomer,
    FindCustomerCommand,
)
from vpnsales.application.interactors.admin.get_statistics import (
    GetStatistics,
    GetStatisticsCommand,
)
from vpnsales.application.interactors.admin.grant_days import GrantDays, GrantDaysCommand
from vpnsales.application.interactors.admin.list_promo_codes import (
    ListPromoCodes,
    ListPromoCodesCommand,
)
from vpnsales.application.interactors.admin.message_customer import (
    MessageCustomer,
    MessageCustomerCommand,
)
from vpnsales.application.interactors.admin.refund_payment import (
    RefundPayment,
    RefundPaymentCommand,
)
from vpnsales.application.interactors.admin.resync_customer import (
    ResyncCustomer,
    ResyncCustomerCommand,
)
from vpnsales.application.interactors.admin.set_maintenance_mode import (
    SetMaintenanceMode,
    SetMaintenanceModeCommand,
)
from vpnsales.application.interactors.admin.set_tariff_visibility import (
    SetTariffVisibility,
    SetTariffVisibilityCommand,
)
from vpnsales.application.interactors.admin.start_broadcast import (
    StartBroadcast,
    StartBroadcastCommand,
)
from vpnsales.application.interactors.admin.take_days import TakeDays, TakeDaysCommand
from vpnsales.application.interactors.admin.unban_customer import (
    UnbanCustomer,
    UnbanCustomerCommand,
)
from vpnsales.application.interactors.admin.update_tariff import (
    UpdateTariff,
    UpdateTariffCommand,
)
from vpnsales.application.ports.admin import AdminRole
from vpnsales.application.ports.broadcast import Audience, AudienceKind
from vpnsales.domain.customer import Language
from vpnsales.domain.errors import PermissionDenied
from vpnsales.domain.ids import BroadcastId, PanelId, PaymentId, TariffId
from vpnsales.domain.promo import PromoKind
from vpnsales.domain.tariff import PanelBinding
from vpnsales.testing.builders import a_customer, an_option

from .conftest import OWNER, STRANGER, SUPPORT, AdminKit

SOMEONE = "424242"


def _owner_only(actor: int) -> list[tuple[type, Any]]:
    some_id = uuid4()
    return [
        (
            CreateTariff,
            CreateTariffCommand(
                actor_telegram_id=actor,
                code="x",
                names={Language.EN: "X"},
                options=(an_option(30),),
                binding=PanelBinding(PanelId("panel-1")),
            ),
        ),
        (UpdateTariff, UpdateTariffCommand(actor_telegram_id=actor, tariff_id=TariffId(some_id))),
        (
            SetTariffVisibility,
            SetTariffVisibilityCommand(
                actor_telegram_id=actor, tariff_id=TariffId(some_id), visible=False
            ),
        ),
        (
            CreatePromoCode,
            CreatePromoCodeCommand(
                actor_telegram_id=actor, code="ABC", kind=PromoKind.PERCENT, percent=Decimal(5)
            ),
        ),
        (ListPromoCodes, ListPromoCodesCommand(actor_telegram_id=actor)),
        (DeactivatePromoCode, DeactivatePromoCodeCommand(actor_telegram_id=actor, code="ABC")),
        (BanCustomer, BanCustomerCommand(actor_telegram_id=actor, customer=SOMEONE)),
        (UnbanCustomer, UnbanCustomerCommand(actor_telegram_id=actor, customer=SOMEONE)),
        (GrantDays, GrantDaysCommand(actor_telegram_id=actor, customer=SOMEONE, days=1)),
        (TakeDays, TakeDaysCommand(actor_telegram_id=actor, customer=SOMEONE, days=1)),
        (
            RefundPayment,
            RefundPaymentCommand(actor_telegram_id=actor, payment_id=PaymentId(some_id)),
        ),
        (GetStatistics, GetStatisticsCommand(actor_telegram_id=actor)),
        (
            CreateBroadcast,
            CreateBroadcastCommand(
                actor_telegram_id=actor, audience=Audience(kind=AudienceKind.ALL), text="hi"
            ),
        ),
        (
            StartBroadcast,
            StartBroadcastCommand(actor_telegram_id=actor, broadcast_id=BroadcastId(some_id)),
        ),
        (
            CancelBroadcast,
            CancelBroadcastCommand(actor_telegram_id=actor, broadcast_id=BroadcastId(some_id)),
        ),
        (SetMaintenanceMode, SetMaintenanceModeCommand(actor_telegram_id=actor, enabled=True)),
        (
            AddAdmin,
            AddAdminCommand(actor_telegram_id=actor, telegram_id=77, role=AdminRole.OWNER),
        ),
    ]


@pytest.mark.parametrize("actor", [SUPPORT, STRANGER], ids=["support", "not-an-admin"])
@pytest.mark.parametrize("case", range(len(_owner_only(0))))
async def test_owner_only_actions_refuse_support_and_strangers(
    kit: AdminKit, actor: int, case: int
) -> None:
    await kit.app.add_customer(a_customer(telegram_id=int(SOMEONE), created_at=kit.now))
    interactor, command = _owner_only(actor)[case]

    with pytest.raises(PermissionDenied):
        await kit.run(interactor, command)

    assert kit.audit() == []


async def test_support_may_find_view_resync_and_message(kit: AdminKit) -> None:
    await kit.app.add_customer(a_customer(telegram_id=int(SOMEONE), created_at=kit.now))

    await kit.run(FindCustomer, FindCustomerCommand(actor_telegram_id=SUPPORT, query=SOMEONE))
    await kit.run(
        ResyncCustomer, ResyncCustomerCommand(actor_telegram_id=SUPPORT, customer=SOMEONE)
    )
    await kit.run(
        MessageCustomer,
        MessageCustomerCommand(actor_telegram_id=SUPPORT, customer=SOMEONE, text="hello"),
    )

    assert [e.action for e in kit.audit()] == [
        "customer.view",
        "customer.resync",
        "customer.message",
    ]
    assert {e.actor_telegram_id for e in kit.audit()} == {SUPPORT}


async def test_strangers_cannot_even_find_customers(kit: AdminKit) -> None:
    with pytest.raises(PermissionDenied):
        await kit.run(FindCustomer, FindCustomerCommand(actor_telegram_id=STRANGER, query="1"))


def test_role_table() -> None:
    assert all(can(AdminRole.OWNER, p) for p in Permission)
    assert {
        Permission.FIND_CUSTOMER,
        Permission.VIEW_CUSTOMER,
        Permission.RESYNC,
        Permission.MESSAGE_CUSTOMER,
    } == SUPPORT_PERMISSIONS


async def test_owner_adds_admins_and_the_cli_bootstraps_one(kit: AdminKit) -> None:
    assert await kit.run(
        AddAdmin, AddAdminCommand(actor_telegram_id=OWNER, telegram_id=77, role=AdminRole.SUPPORT)
    )
    assert not await kit.run(
        AddAdmin, AddAdminCommand(actor_telegram_id=OWNER, telegram_id=77, role=AdminRole.SUPPORT)
    )
    assert await kit.run(
        AddAdmin, AddAdminCommand(actor_telegram_id=None, telegram_id=77, role=AdminRole.OWNER)
    )

    admin = await kit.app.get("admins", 77)
    assert admin.role is AdminRole.OWNER
    assert [(e.action, e.actor_telegram_id) for e in kit.audit()] == [
        ("admin.add", OWNER),
        ("admin.role", 0),
    ]
