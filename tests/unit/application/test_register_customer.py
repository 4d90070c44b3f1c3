"""RegisterCustomer: first contact, profile updates, referrals, deep links."""

from __future__ import annotations

import asyncio

from vpnsales.domain.customer import Language
from vpnsales.domain.ids import TelegramId
from vpnsales.testing.app import InMemoryApp

from .conftest import TG, customer


async def test_first_contact_creates_the_customer_with_telegram_language(
    shop: InMemoryApp,
) -> None:
    result = await shop.register(telegram_id=TG, username="ann", language_code="ru-RU")

    assert result.created
    stored = await shop.customer(result.customer_id)
    assert stored.language is Language.RU
    assert stored.username == "ann"


async def test_each_customer_gets_a_unique_short_referral_code(shop: InMemoryApp) -> None:
    codes = {(await customer(shop, 2000 + n)).referral_code for n in range(20)}

    assert len(codes) == 20
    assert all(len(code) == 8 and code.isalnum() for code in codes)


async def test_a_later_contact_updates_the_profile_and_keeps_the_chosen_language(
    shop: InMemoryApp,
) -> None:
    first = await customer(shop, language_code="ru")
    await shop.set_language(telegram_id=TG, language=Language.EN)

    again = await shop.register(telegram_id=TG, username="new_name", language_code="ru")

    assert not again.created
    assert again.customer_id == first.customer_id
    stored = await shop.customer(first.customer_id)
    assert stored.username == "new_name"
    assert stored.language is Language.EN


async def test_referral_link_attaches_the_referrer_on_first_contact(shop: InMemoryApp) -> None:
    referrer = await customer(shop, 1)

    invited = await shop.register(
        telegram_id=TelegramId(2), start_payload=f"ref_{referrer.referral_code}"
    )

    assert invited.referrer_id == referrer.customer_id
    assert (await shop.customer(invited.customer_id)).referrer_id == referrer.customer_id


async def test_a_bare_referral_code_payload_also_works(shop: InMemoryApp) -> None:
    referrer = await customer(shop, 1)

    invited = await shop.register(telegram_id=TelegramId(2), start_payload=referrer.referral_code)

    assert invited.referrer_id == referrer.customer_id


async def test_referral_is_not_attached_after_first_contact(shop: InMemoryApp) -> None:
    referrer = await customer(shop, 1)
    await customer(shop, 2)

    again = await shop.register(
        telegram_id=TelegramId(2), start_payload=f"ref_{referrer.referral_code}"
    )

    assert again.referrer_id is None
    assert again.referral_refused == "referral-not-allowed"


async def test_self_referral_is_refused(shop: InMemoryApp) -> None:
    me = await customer(shop, 1)

    again = await shop.register(telegram_id=TelegramId(1), start_payload=f"ref_{me.referral_code}")

    assert again.referrer_id is None
    assert (await shop.customer(me.customer_id)).referrer_id is None


async def test_a_referral_cycle_is_never_created(shop: InMemoryApp) -> None:
    a = await customer(shop, 1)
    b = await shop.register(telegram_id=TelegramId(2), start_payload=f"ref_{a.referral_code}")

    a_again = await shop.register(telegram_id=TelegramId(1), start_payload=f"ref_{b.referral_code}")

    assert a_again.referrer_id is None
    assert (await shop.customer(a.customer_id)).referrer_id is None


async def test_unknown_referral_code_is_ignored(shop: InMemoryApp) -> None:
    result = await shop.register(telegram_id=TG, start_payload="ref_nosuchcode")

    assert result.created
    assert result.referrer_id is None
    assert result.referral_refused == "referrer-not-found"


async def test_tariff_deep_link_is_returned_for_the_bot(shop: InMemoryApp) -> None:
    result = await shop.register(telegram_id=TG, start_payload="t_secret")

    assert result.deep_link_tariff == "secret"
    assert result.referrer_id is None


async def test_concurrent_first_contacts_create_one_customer(shop: InMemoryApp) -> None:
    results = await asyncio.gather(*(shop.register(telegram_id=TG) for _ in range(5)))

    assert len({r.customer_id for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert len(shop.rows("customers")) == 1


async def test_set_language_reports_no_change_when_already_set(shop: InMemoryApp) -> None:
    await customer(shop, language_code="en")

    result = await shop.set_language(telegram_id=TG, language=Language.EN)

    assert not result.changed
