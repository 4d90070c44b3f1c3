"""Unique and check constraints surface as typed domain errors."""

from __future__ import annotations

from uuid import uuid4

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from vpnsales.application.ports.repositories import Redemption
from vpnsales.domain.access import Access, DesiredState
from vpnsales.domain.errors import (
    AccessAlreadyExists,
    CustomerAlreadyExists,
    DuplicateProviderPayment,
    InsufficientBalance,
    PromoCodeAlreadyExists,
    PromoCodeAlreadyUsed,
    PromoCodeExhausted,
)
from vpnsales.domain.ids import AccessId, PanelId, PromoCodeId
from vpnsales.domain.money import Currency, Money
from vpnsales.domain.payment import PaymentProvider
from vpnsales.domain.promo import PromoCode, PromoKind


async def test_duplicate_telegram_id_is_customer_already_exists(scope, build) -> None:
    first = build.a_customer()
    async with scope() as s:
        await s.customers.add(first)
        with pytest.raises(CustomerAlreadyExists):
            await s.customers.add(build.a_customer(telegram_id=first.telegram_id))
        # the savepoint keeps the unit of work usable after the typed error
        assert await s.customers.get(first.id) == first
        await s.commit()


async def test_second_live_access_on_a_panel_is_refused(scope, build) -> None:
    customer, tariff = build.a_customer(), build.a_tariff()
    subscription = build.a_subscription(customer, tariff)

    def access() -> Access:
        return Access.new(
            id=AccessId(uuid4()),
            subscription_id=subscription.id,
            customer_id=customer.id,
            panel_id=PanelId("rw-main"),
            now=build.now,
        )

    first = access()
    async with scope() as s:
        await s.customers.add(customer)
        await s.tariffs.add(tariff)
        await s.subscriptions.add(subscription)
        await s.accesses.add(first)
        with pytest.raises(AccessAlreadyExists):
            await s.accesses.add(access())
        # a deleted access is history: a new one on the same panel is fine
        first.desire(DesiredState.DELETED)
        await s.accesses.save(first)
        await s.accesses.add(access())
        await s.commit()


async def test_provider_payment_id_belongs_to_one_payment(scope, build) -> None:
    customer, tariff = build.a_customer(), build.a_tariff()
    first, second = build.a_payment(customer, tariff), build.a_payment(customer, tariff)
    first.attach_provider("same-id", None)
    async with scope() as s:
        await s.customers.add(customer)
        await s.tariffs.add(tariff)
        await s.payments.add(first)
        await s.payments.add(second)
        await s.commit()
    second.attach_provider("same-id", None)
    async with scope() as s:
        with pytest.raises(DuplicateProviderPayment):
            await s.payments.save(second)
    # the same id at another provider is another payment
    third = build.a_payment(customer, tariff, provider=PaymentProvider.CRYPTOPAY)
    third.attach_provider("same-id", None)
    async with scope() as s:
        await s.payments.add(third)
        await s.commit()


async def test_stars_charge_id_belongs_to_one_payment(scope, build) -> None:
    customer, tariff = build.a_customer(), build.a_tariff()
    first = build.a_payment(customer, tariff, telegram_charge_id="charge-1")
    async with scope() as s:
        await s.customers.add(customer)
        await s.tariffs.add(tariff)
        await s.payments.add(first)
        with pytest.raises(DuplicateProviderPayment):
            await s.payments.add(build.a_payment(customer, tariff, telegram_charge_id="charge-1"))
        await s.commit()


def _promo(code: str, **overrides: object) -> PromoCode:
    values: dict[str, object] = {
        "id": PromoCodeId(uuid4()),
        "code": code,
        "kind": PromoKind.BONUS_DAYS,
        "days": 7,
        "created_at": overrides.pop("created_at"),
    }
    values.update(overrides)
    return PromoCode(**values)  # type: ignore[arg-type]


async def test_duplicate_promo_code_is_refused(scope, build) -> None:
    async with scope() as s:
        await s.promos.add(_promo("WELCOME", created_at=build.now))
        with pytest.raises(PromoCodeAlreadyExists):
            await s.promos.add(_promo("welcome", created_at=build.now))
        await s.commit()


async def test_single_use_redemption_is_unique_per_customer(scope, build) -> None:
    customer = build.a_customer()
    promo = _promo("ONCE", created_at=build.now)
    async with scope() as s:
        await s.customers.add(customer)
        await s.promos.add(promo)
        redemption = Redemption(
            promo_id=promo.id, customer_id=customer.id, redeemed_at=build.now, single_use=True
        )
        await s.promos.add_redemption(redemption)
        with pytest.raises(PromoCodeAlreadyUsed):
            await s.promos.add_redemption(redemption)
        await s.commit()
        assert await s.promos.customer_uses(promo.id, customer.id) == 1


async def test_uses_above_the_limit_are_refused_by_the_database(scope, build) -> None:
    promo = _promo("LIMITED", created_at=build.now, max_uses=1)
    async with scope() as s:
        await s.promos.add(promo)
        await s.commit()
    promo.uses = 2  # bypassing the domain rule on purpose
    async with scope() as s:
        with pytest.raises(PromoCodeExhausted):
            await s.promos.save(promo)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE customers SET balance = -1",
        "UPDATE customers SET balance = 1.5, balance_currency = 'XTR'",
        "UPDATE tariff_prices SET amount = -1",
        "UPDATE tariff_prices SET amount = 1.5 WHERE currency = 'XTR'",
        "UPDATE payments SET total_amount = -0.01",
        "UPDATE payments SET status = 'paid'",
    ],
)
async def test_money_and_status_checks_hold(scope, build, statement: str) -> None:
    customer, tariff = build.a_customer(), build.a_tariff()
    async with scope() as s:
        await s.customers.add(customer)
        await s.tariffs.add(tariff)
        await s.payments.add(build.a_payment(customer, tariff))
        await s.commit()
    async with scope() as s:
        with pytest.raises(IntegrityError):
            await s.uow.session.execute(text(statement))


async def test_negative_balance_is_insufficient_balance(scope, build) -> None:
    customer = build.a_customer(balance=Money.of(10, Currency.RUB))
    async with scope() as s:
        await s.customers.add(customer)
        await s.commit()
    customer.balance = Money.of(-1, Currency.RUB)  # bypassing the domain rule on purpose
    async with scope() as s:
        with pytest.raises(InsufficientBalance):
            await s.customers.save(customer)
