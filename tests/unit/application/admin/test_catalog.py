"""Tariffs and promo codes: create, edit, hide/show, list with usage, deactivate."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

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
from vpnsales.application.interactors.admin.list_promo_codes import (
    ListPromoCodes,
    ListPromoCodesCommand,
)
from vpnsales.application.interactors.admin.set_tariff_visibility import (
    SetTariffVisibility,
    SetTariffVisibilityCommand,
)
from vpnsales.application.interactors.admin.update_tariff import (
    UpdateTariff,
    UpdateTariffCommand,
)
from vpnsales.domain.customer import Language
from vpnsales.domain.errors import (
    AlreadyExists,
    InvalidValue,
    PromoCodeAlreadyExists,
    PromoCodeNotFound,
    TariffNotFound,
)
from vpnsales.domain.ids import PanelId, TariffId
from vpnsales.domain.limits import DeviceLimit, TrafficLimit
from vpnsales.domain.promo import PromoKind
from vpnsales.domain.tariff import PanelBinding, Tariff
from vpnsales.testing.builders import a_promo, an_option, rub

from .conftest import OWNER, AdminKit


def _create(code: str = "pro", **overrides: object) -> CreateTariffCommand:
    fields: dict[str, object] = {
        "actor_telegram_id": OWNER,
        "code": code,
        "names": {Language.EN: "Pro", Language.RU: "Про"},
        "options": (an_option(30, rub=300), an_option(90, rub=800)),
        "binding": PanelBinding(PanelId("panel-1")),
        "traffic": TrafficLimit.gib(100),
        "devices": DeviceLimit(3),
    }
    fields.update(overrides)
    return CreateTariffCommand(**fields)  # type: ignore[arg-type]


async def _tariff(kit: AdminKit, tariff_id: TariffId) -> Tariff:
    found: Tariff | None = await kit.app.get("tariffs", tariff_id)
    assert found is not None
    return found


async def test_create_tariff_stores_it_and_audits(kit: AdminKit) -> None:
    tariff_id = await kit.run(CreateTariff, _create())

    tariff = await _tariff(kit, tariff_id)
    assert tariff.code == "pro"
    assert [o.days for o in tariff.options] == [30, 90]
    [entry] = kit.audit("tariff.create")
    assert entry.actor_telegram_id == OWNER
    assert entry.target == "tariff:pro"
    assert entry.before is None
    assert entry.after["options"][0] == {"days": 30, "prices": {"RUB": "300.00"}}


async def test_create_tariff_refuses_a_taken_code_and_bad_values(kit: AdminKit) -> None:
    await kit.run(CreateTariff, _create())
    with pytest.raises(AlreadyExists):
        await kit.run(CreateTariff, _create())
    with pytest.raises(InvalidValue):
        await kit.run(CreateTariff, _create("Bad Code"))
    with pytest.raises(InvalidValue):
        await kit.run(CreateTariff, _create("empty", options=()))
    assert len(kit.audit("tariff.create")) == 1


async def test_editing_a_tariff_never_changes_paid_periods(kit: AdminKit) -> None:
    tariff_id = await kit.run(CreateTariff, _create())
    seeded = await kit.seed(tariff=await _tariff(kit, tariff_id))

    changed = await kit.run(
        UpdateTariff,
        UpdateTariffCommand(
            actor_telegram_id=OWNER,
            tariff_id=tariff_id,
            traffic=TrafficLimit.gib(10),
            devices=DeviceLimit(1),
            options=(an_option(30, rub=500),),
        ),
    )

    assert changed is True
    tariff = await _tariff(kit, tariff_id)
    assert tariff.traffic == TrafficLimit.gib(10)
    assert tariff.options[0].price(rub(0).currency) == rub(500)
    subscription = await kit.app.get("subscriptions", seeded.subscription.id)
    assert subscription.traffic == TrafficLimit.gib(100)
    assert subscription.devices == DeviceLimit(3)
    [entry] = kit.audit("tariff.update")
    assert entry.before["traffic_bytes"] == TrafficLimit.gib(100).bytes
    assert entry.after["traffic_bytes"] == TrafficLimit.gib(10).bytes


async def test_update_without_changes_writes_nothing(kit: AdminKit) -> None:
    tariff_id = await kit.run(CreateTariff, _create())
    command = UpdateTariffCommand(actor_telegram_id=OWNER, tariff_id=tariff_id, order=0)
    assert await kit.run(UpdateTariff, command) is False
    assert not kit.audit("tariff.update")


async def test_update_of_an_unknown_tariff_fails(kit: AdminKit) -> None:
    from uuid import uuid4

    with pytest.raises(TariffNotFound):
        await kit.run(
            UpdateTariff,
            UpdateTariffCommand(actor_telegram_id=OWNER, tariff_id=TariffId(uuid4()), order=1),
        )


async def test_hide_and_show_a_tariff(kit: AdminKit) -> None:
    tariff_id = await kit.run(CreateTariff, _create())

    def command(visible: bool) -> SetTariffVisibilityCommand:
        return SetTariffVisibilityCommand(
            actor_telegram_id=OWNER, tariff_id=tariff_id, visible=visible
        )

    assert await kit.run(SetTariffVisibility, command(False)) is True
    assert not (await _tariff(kit, tariff_id)).active
    assert await kit.run(SetTariffVisibility, command(False)) is False
    assert await kit.run(SetTariffVisibility, command(True)) is True
    assert (await _tariff(kit, tariff_id)).active
    assert [e.action for e in kit.audit() if e.action.startswith("tariff.")] == [
        "tariff.create",
        "tariff.hide",
        "tariff.show",
    ]


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        (PromoKind.PERCENT, {"percent": Decimal(15)}),
        (PromoKind.FIXED, {"amount": rub(100)}),
        (PromoKind.BONUS_DAYS, {"days": 7}),
        (PromoKind.TRIAL_EXTENSION, {"days": 3}),
        (PromoKind.BALANCE_CREDIT, {"amount": rub(50)}),
    ],
)
async def test_create_promo_code_of_every_kind(
    kit: AdminKit, kind: PromoKind, params: dict[str, object]
) -> None:
    promo_id = await kit.run(
        CreatePromoCode,
        CreatePromoCodeCommand(
            actor_telegram_id=OWNER,
            code=f" {kind.value}-1 ",
            kind=kind,
            max_uses=10,
            valid_until=kit.now + timedelta(days=7),
            **params,  # type: ignore[arg-type]
        ),
    )

    promo = await kit.app.get("promos", promo_id)
    assert promo.code == f"{kind.value}-1".upper()
    assert promo.kind is kind
    [entry] = kit.audit("promo.create")
    assert entry.after["kind"] == kind.value


async def test_create_promo_code_refuses_bad_parameters_and_duplicates(kit: AdminKit) -> None:
    with pytest.raises(InvalidValue):
        await kit.run(
            CreatePromoCode,
            CreatePromoCodeCommand(actor_telegram_id=OWNER, code="X100", kind=PromoKind.PERCENT),
        )
    command = CreatePromoCodeCommand(
        actor_telegram_id=OWNER, code="SAME", kind=PromoKind.BONUS_DAYS, days=1
    )
    await kit.run(CreatePromoCode, command)
    with pytest.raises(PromoCodeAlreadyExists):
        await kit.run(CreatePromoCode, command)


async def test_list_promo_codes_with_usage_and_deactivate(kit: AdminKit) -> None:
    await kit.app.add_promo(a_promo("USED", max_uses=5, uses=5))
    await kit.app.add_promo(a_promo("FRESH", max_uses=5, uses=1))

    views = await kit.run(ListPromoCodes, ListPromoCodesCommand(actor_telegram_id=OWNER))
    by_code = {v.code: v for v in views}
    assert (by_code["USED"].uses, by_code["USED"].uses_left) == (5, 0)
    assert by_code["USED"].usable_now is False
    assert (by_code["FRESH"].uses_left, by_code["FRESH"].usable_now) == (4, True)

    command = DeactivatePromoCodeCommand(actor_telegram_id=OWNER, code="fresh")
    assert await kit.run(DeactivatePromoCode, command) is True
    assert await kit.run(DeactivatePromoCode, command) is False
    views = await kit.run(
        ListPromoCodes, ListPromoCodesCommand(actor_telegram_id=OWNER, include_inactive=False)
    )
    assert [v.code for v in views] == ["USED"]  # exhausted but still active
    assert len(kit.audit("promo.deactivate")) == 1


async def test_deactivating_an_unknown_code_fails(kit: AdminKit) -> None:
    with pytest.raises(PromoCodeNotFound):
        await kit.run(
            DeactivatePromoCode, DeactivatePromoCodeCommand(actor_telegram_id=OWNER, code="NOPE")
        )
