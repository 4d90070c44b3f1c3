"""Who gets into the admin panel: nobody but admins, and support staff only as far as
their role allows. A non-admin sees exactly what any unknown input gets."""

from __future__ import annotations

import itertools
from enum import Enum
from typing import Any
from uuid import uuid4

from aiogram.filters.callback_data import CallbackData
from sqlalchemy import select

from vpnsales.adapters.persistence.tables import metadata
from vpnsales.application.interactors.admin.add_admin import AddAdmin, AddAdminCommand
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
from vpnsales.application.ports.admin import AdminRole, Flag, FlagStore
from vpnsales.application.ports.broadcast import Audience, AudienceKind
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.domain.customer import Language
from vpnsales.domain.ids import PanelId
from vpnsales.domain.promo import PromoKind
from vpnsales.domain.tariff import PanelBinding
from vpnsales.entrypoints.bot.admin.access import AdminRoster
from vpnsales.entrypoints.bot.admin.callbacks import (
    ADMIN_CALLBACKS,
    AdmBroadcast,
    AdmCustomer,
    AdmNav,
    AdmPromo,
    AdmTariff,
    CustomerAction,
    PromoAction,
    Screen,
    TariffAction,
)
from vpnsales.entrypoints.bot.callbacks import short_id
from vpnsales.testing.builders import an_option
from vpnsales.testing.emulators.telegram import TgUser

from .conftest import CUSTOMER, OWNER, PANEL, SUPPORT, Stack

INTRUDER = TgUser(777, "Mallory", username="mallory", language_code="en")
ADMIN_COMMANDS = ("/admin", "/find", "/find 5001", "/find @carl", "/close", "/reopen")
UNKNOWN = "I didn't understand that. Please use the buttons below."
DENIED = "Your role does not allow this"


async def seed_objects(stack: Stack) -> dict[str, str]:
    """A tariff, a promo code and a draft broadcast for callbacks to point at."""
    tariff_id = await stack.run(
        CreateTariff,
        CreateTariffCommand(
            actor_telegram_id=OWNER.id,
            code="basic",
            names={Language.EN: "Basic"},
            options=(an_option(30, rub=300),),
            binding=PanelBinding(PanelId(PANEL)),
        ),
    )
    await stack.run(
        CreatePromoCode,
        CreatePromoCodeCommand(
            actor_telegram_id=OWNER.id, code="SPRING", kind=PromoKind.BONUS_DAYS, days=7
        ),
    )
    broadcast_id = await stack.run(
        CreateBroadcast,
        CreateBroadcastCommand(
            actor_telegram_id=OWNER.id, audience=Audience(kind=AudienceKind.ALL), text="Hi"
        ),
    )
    return {
        "tariff": short_id(tariff_id),
        "ref": short_id(broadcast_id),
        "arg": "SPRING",
        "customer": str(CUSTOMER.id),
    }


def every_callback(samples: dict[str, str]) -> list[str]:
    """Every admin callback family × every value of its enum fields, the other fields
    filled with real ids (and, for ``arg``/``ref``, every enum value too)."""
    packed: set[str] = set()
    for cls in ADMIN_CALLBACKS:
        choices: list[list[Any]] = []
        names = list(cls.model_fields)
        for name in names:
            annotation = cls.model_fields[name].annotation
            if isinstance(annotation, type) and issubclass(annotation, Enum):
                choices.append(list(annotation))
            elif name == "customer":
                choices.append([CUSTOMER.id])
            elif cls is AdmPromo:  # the kind of a new code, or a code
                choices.append([samples["arg"], *(k.value for k in PromoKind)])
            elif cls is AdmBroadcast:  # an audience kind, a tariff or a broadcast
                kinds = [k.value for k in AudienceKind]
                choices.append([samples["ref"], samples["tariff"], short_id(uuid4()), *kinds])
            else:
                choices.append([samples.get(name, ""), short_id(uuid4())])
        for combo in itertools.product(*choices):
            instance: CallbackData = cls(**dict(zip(names, combo, strict=True)))
            data = instance.pack()
            if len(data.encode()) <= 64:
                packed.add(data)
    return sorted(packed)


async def database_state(stack: Stack) -> dict[str, list[tuple[Any, ...]]]:
    state: dict[str, list[tuple[Any, ...]]] = {}
    async with stack.sessions() as session:
        for table in metadata.sorted_tables:
            rows = (await session.execute(select(table))).all()
            state[table.name] = sorted((tuple(map(str, r)) for r in rows), key=str)
    return state


async def test_a_non_admin_gets_no_admin_effect_from_any_command_or_button(
    stack: Stack,
) -> None:
    samples = await seed_objects(stack)
    callbacks = every_callback(samples)
    prefixes = {data.split(":", 1)[0] for data in callbacks}
    assert prefixes == {"adm", "admt", "admp", "admc", "admb"}
    assert len(callbacks) > 150
    await stack.command(OWNER, "/admin")  # the roster is loaded (owners bootstrapped)
    before = await database_state(stack)
    admin_chat_before = len(stack.tg.sent_messages(OWNER.id))

    for command in ADMIN_COMMANDS:
        await stack.command(INTRUDER, command)
    stack.tg.add_group(-1001000000002, "Support desk", is_forum=True)
    query_ids = [await stack.press_data(INTRUDER, data) for data in callbacks]

    assert await database_state(stack) == before
    to_intruder = stack.tg.sent_messages(INTRUDER.id)
    assert [m.method for m in to_intruder] == ["sendMessage"] * len(ADMIN_COMMANDS)
    assert {m.plain_text for m in to_intruder} == {UNKNOWN}
    answers = {stack.answer(q) for q in query_ids}
    assert answers == {UNKNOWN}  # exactly what any stale or forged button gets
    assert len(stack.tg.sent_messages(OWNER.id)) == admin_chat_before
    assert not stack.tg.calls_of("sendPhoto")
    assert not stack.tg.calls_of("createForumTopic")


async def _add_support(stack: Stack) -> None:
    await stack.run(
        AddAdmin,
        AddAdminCommand(actor_telegram_id=None, telegram_id=SUPPORT.id, role=AdminRole.SUPPORT),
    )
    (await stack.container.get(AdminRoster)).invalidate()


async def test_a_support_admin_cannot_do_owner_actions(stack: Stack) -> None:
    samples = await seed_objects(stack)
    await _add_support(stack)
    await stack.command(SUPPORT, "/admin")
    labels = [b["text"] for b in stack.buttons(SUPPORT)]
    assert labels == ["🔎 Find customer", "🩺 Panels"]
    before = await database_state(stack)

    owner_only = [
        AdmNav(to=Screen.STATS),
        AdmNav(to=Screen.TARIFFS),
        AdmNav(to=Screen.PROMOS),
        AdmNav(to=Screen.MAINTENANCE_ON),
        AdmTariff(action=TariffAction.HIDE, tariff=samples["tariff"]),
        AdmPromo(action=PromoAction.DEACTIVATE, arg="SPRING"),
        AdmCustomer(action=CustomerAction.BAN, customer=CUSTOMER.id),
        AdmCustomer(action=CustomerAction.UNBAN, customer=CUSTOMER.id),
        AdmCustomer(
            action=CustomerAction.REFUND_CONFIRM, customer=CUSTOMER.id, arg=short_id(uuid4())
        ),
    ]
    for data in owner_only:
        query = await stack.press_data(SUPPORT, data.pack())
        assert DENIED in stack.answer(query), data
    for action in (CustomerAction.GRANT, CustomerAction.TAKE):  # refused at the value
        await stack.press_data(SUPPORT, AdmCustomer(action=action, customer=CUSTOMER.id).pack())
        await stack.text(SUPPORT, "30")
        assert DENIED in stack.screen(SUPPORT)
    await stack.press_data(SUPPORT, AdmNav(to=Screen.BROADCAST).pack())
    await stack.text(SUPPORT, "Everyone, buy now")
    await stack.press(SUPPORT, "No button")
    query = await stack.press(SUPPORT, "Everyone")
    assert DENIED in stack.answer(query)
    assert await database_state(stack) == before

    # what support may do: find a customer, resync, message them
    await stack.command(SUPPORT, "/find @carl")
    assert "Carl" in stack.screen(SUPPORT)
    card_labels = [b["text"] for b in stack.buttons(SUPPORT)]
    assert "🚫 Ban" not in card_labels
    await stack.press(SUPPORT, "Resync access")
    assert "queued for sync" in stack.screen(SUPPORT)
    await stack.press(SUPPORT, "Open card")
    await stack.press(SUPPORT, "Message")
    await stack.text(SUPPORT, "Hello from support")
    assert "on its way" in stack.screen(SUPPORT)
    actions = [(r["actor_telegram_id"], r["action"]) for r in await stack.audit()]
    assert (SUPPORT.id, "customer.view") in actions
    assert (SUPPORT.id, "customer.resync") in actions
    assert (SUPPORT.id, "customer.message") in actions
    assert {a for actor, a in actions if actor == SUPPORT.id} == {
        "customer.view",
        "customer.resync",
        "customer.message",
    }


async def test_maintenance_lets_admins_added_with_the_cli_through(stack: Stack) -> None:
    await _add_support(stack)
    async with stack.container() as request:
        await (await request.get(FlagStore)).set(Flag.MAINTENANCE, True)
        await (await request.get(UnitOfWork)).commit()
    await stack.command(CUSTOMER, "/start")
    assert "maintenance" in stack.screen(CUSTOMER).lower()
    await stack.command(SUPPORT, "/admin")
    assert "maintenance" not in stack.screen(SUPPORT).lower()
    assert [b["text"] for b in stack.buttons(SUPPORT)] == ["🔎 Find customer", "🩺 Panels"]
