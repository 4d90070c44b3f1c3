"""Every aggregate survives a round trip through PostgreSQL, field for field."""

from __future__ import annotations

import itertools
from dataclasses import fields, replace
from datetime import timedelta
from decimal import Decimal
from uuid import uuid4

from sqlalchemy import func, select

from vpnsales.adapters.persistence.tables import audit_log
from vpnsales.application.ports.repositories import Redemption
from vpnsales.domain.access import Access, DesiredState, Observed, ObservedStatus
from vpnsales.domain.customer import BalanceReason, Language
from vpnsales.domain.ids import AccessId, CustomerId, PanelId, PromoCodeId, TelegramId
from vpnsales.domain.limits import DeviceLimit, TrafficLimit, TrafficResetStrategy
from vpnsales.domain.money import Currency, Money
from vpnsales.domain.payment import PaymentProvider
from vpnsales.domain.promo import PromoCode, PromoKind
from vpnsales.domain.subscription import SubscriptionStatus
from vpnsales.domain.tariff import Availability, PanelBinding


def same(a: object, b: object) -> None:
    """Compare every dataclass field (entities compare by id otherwise)."""
    for f in fields(a):  # type: ignore[arg-type]
        if f.name == "new_entries":
            continue
        assert getattr(a, f.name) == getattr(b, f.name), f.name


async def test_customer_round_trip_with_ledger(scope, build) -> None:
    referrer = build.a_customer(referral_code="REF1")
    customer = build.a_customer(
        username="Alice_X",
        first_name="Алиса",
        language=Language.EN,
        referrer_id=referrer.id,
        referral_code="ALICE",
        banned=True,
        trial_used=True,
        has_purchased=True,
    )
    customer.credit(
        Money.of("150.50", Currency.RUB),
        BalanceReason.REFERRAL_REWARD,
        build.now,
        entry_id=uuid4(),
        reference="pay-1",
    )
    async with scope() as s:
        await s.customers.add(referrer)
        await s.customers.add(customer)
        await s.commit()
    assert customer.new_entries == []
    customer.debit(
        Money.of(50, Currency.RUB), BalanceReason.PURCHASE, build.later(hours=1), entry_id=uuid4()
    )
    async with scope() as s:
        await s.customers.save(customer)
        await s.commit()

    async with scope() as s:
        loaded = await s.customers.get(customer.id)
        assert loaded is not None
        same(loaded, customer)
        assert loaded.balance == Money.of("100.50", Currency.RUB)
        assert await s.customers.get_by_telegram_id(customer.telegram_id) == customer
        assert await s.customers.get_by_referral_code("ALICE") == customer
        assert await s.customers.get_by_referral_code("") is None
        assert await s.customers.get_by_username("@alice_x") == customer
        assert await s.customers.referrer_chain(customer.id) == [referrer.id]
        ledger = await s.customers.ledger(customer.id)
        assert [e.amount for e in ledger] == [
            Money.of(-50, Currency.RUB),
            Money.of("150.50", Currency.RUB),
        ]
        assert ledger[1].reason is BalanceReason.REFERRAL_REWARD
        assert ledger[1].reference == "pay-1"
        assert ledger[0].created_at == build.later(hours=1)


async def test_referrer_chain_is_bounded(scope, build) -> None:
    chain = [build.a_customer() for _ in range(5)]
    for child, parent in itertools.pairwise(chain):
        child.referrer_id = parent.id
    async with scope() as s:
        for customer in reversed(chain):
            await s.customers.add(customer)
        await s.commit()
        assert await s.customers.referrer_chain(chain[0].id) == [c.id for c in chain[1:]]
        assert await s.customers.referrer_chain(chain[0].id, limit=2) == [
            chain[1].id,
            chain[2].id,
        ]


async def test_tariff_round_trip_and_catalog_order(scope, build) -> None:
    tariff = build.a_tariff(
        availability=Availability.NEW_CUSTOMERS,
        order=2,
        traffic=TrafficLimit(5 * 1024**3, TrafficResetStrategy.WEEK),
        devices=DeviceLimit(None),
    )
    first = build.a_tariff(names={Language.EN: "Basic"}, order=1)
    hidden = build.a_tariff(active=False, order=0)
    async with scope() as s:
        for t in (tariff, first, hidden):
            await s.tariffs.add(t)
        await s.commit()
    async with scope() as s:
        loaded = await s.tariffs.get(tariff.id)
        assert loaded is not None
        same(loaded, tariff)
        assert loaded.option(30).price(Currency.XTR) == Money.of(111, Currency.XTR)
        assert str(loaded.option(30).price(Currency.XTR).amount) == "111"
        assert await s.tariffs.get_by_code(tariff.code) == tariff
        assert [t.id for t in await s.tariffs.list()] == [first.id, tariff.id]
        everything = await s.tariffs.list(include_inactive=True)
        assert [t.id for t in everything] == [hidden.id, first.id, tariff.id]

    edited = build.a_tariff(
        id=tariff.id,
        code=tariff.code,
        options=(tariff.options[1],),
        binding=PanelBinding(PanelId("xui-group")),
    )
    async with scope() as s:
        await s.tariffs.save(edited)
        await s.commit()
    async with scope() as s:
        reloaded = await s.tariffs.get(tariff.id)
        assert reloaded is not None
        same(reloaded, edited)


async def test_subscription_round_trip(scope, build) -> None:
    customer, tariff = build.a_customer(), build.a_tariff()
    subscription = build.a_subscription(
        customer,
        tariff,
        auto_renew=True,
        reminders_sent=frozenset({72, 24}),
        traffic_alerts_sent=frozenset({80}),
        period_number=3,
    )
    async with scope() as s:
        await s.customers.add(customer)
        await s.tariffs.add(tariff)
        await s.subscriptions.add(subscription)
        await s.commit()
    subscription.expire(subscription.expires_at)
    async with scope() as s:
        await s.subscriptions.save(subscription)
        await s.commit()
    async with scope() as s:
        loaded = await s.subscriptions.get(subscription.id, for_update=True)
        assert loaded is not None
        same(loaded, subscription)
        assert loaded.status is SubscriptionStatus.EXPIRED
        assert loaded.binding.squads == ("sq-1", "sq-2")
        assert await s.subscriptions.for_customer(customer.id) == [subscription]


async def test_claims_pick_only_what_they_should(scope, build) -> None:
    customer, tariff = build.a_customer(), build.a_tariff()
    now = build.now + timedelta(days=30)
    due = build.a_subscription(customer, tariff, expires_at=now - timedelta(minutes=1))
    soon = build.a_subscription(customer, tariff, expires_at=now + timedelta(hours=20))
    reminded = build.a_subscription(
        customer, tariff, expires_at=now + timedelta(hours=20), reminders_sent=frozenset({24})
    )
    renewing = build.a_subscription(
        customer, tariff, expires_at=now + timedelta(hours=10), auto_renew=True
    )
    later = build.a_subscription(customer, tariff, expires_at=now + timedelta(days=10))
    async with scope() as s:
        await s.customers.add(customer)
        await s.tariffs.add(tariff)
        for sub in (due, soon, reminded, renewing, later):
            await s.subscriptions.add(sub)
        await s.commit()
    async with scope() as s:
        assert await s.subscriptions.claim_due(now, 10) == [due]
        expiring = await s.subscriptions.claim_expiring(now, 24, 24, 10)
        assert expiring == [renewing, soon]
        assert await s.subscriptions.claim_for_auto_renewal(now, now + timedelta(days=1), 10) == [
            renewing
        ]


async def test_access_round_trip_paging_and_counts(scope, build) -> None:
    customer, tariff = build.a_customer(), build.a_tariff()
    subscription = build.a_subscription(customer, tariff)
    access = Access.new(
        id=AccessId(uuid4()),
        subscription_id=subscription.id,
        customer_id=customer.id,
        panel_id=PanelId("rw-main"),
        now=build.now,
    )
    access.mark_synced(
        version=access.version,
        external_id="ext-1",
        subscription_url="https://sub.example/abc",
        observed=Observed(
            status=ObservedStatus.ACTIVE,
            at=build.now,
            expires_at=build.later(days=30),
            used_traffic_bytes=123,
            last_online_at=build.now,
            devices=2,
        ),
    )
    access.mark_failed("boom")
    other = Access.new(
        id=AccessId(uuid4()),
        subscription_id=subscription.id,
        customer_id=customer.id,
        panel_id=PanelId("xui-1"),
        now=build.now,
    )
    async with scope() as s:
        await s.customers.add(customer)
        await s.tariffs.add(tariff)
        await s.subscriptions.add(subscription)
        await s.accesses.add(access)
        await s.accesses.add(other)
        await s.commit()
    async with scope() as s:
        loaded = await s.accesses.get(access.id, for_update=True)
        assert loaded is not None
        same(loaded, access)
        blank = await s.accesses.get(other.id)
        assert blank is not None
        same(blank, other)
        assert set(await s.accesses.for_subscription(subscription.id)) == {access, other}
        assert set(await s.accesses.for_customer(customer.id)) == {access, other}
        assert await s.accesses.count_by_panel() == {"rw-main": 1, "xui-1": 1}
        other.desire(DesiredState.DELETED)
        await s.accesses.save(other)
        await s.commit()
    async with scope() as s:
        assert await s.accesses.count_by_panel() == {"rw-main": 1}
        assert await s.accesses.for_panel(PanelId("rw-main"), after=None, limit=10) == [access]
        assert await s.accesses.for_panel(PanelId("rw-main"), after=access.id, limit=10) == []


async def test_access_paging_walks_every_row_once(scope, build) -> None:
    customer, tariff = build.a_customer(), build.a_tariff()
    subs = [build.a_subscription(customer, tariff) for _ in range(7)]
    async with scope() as s:
        await s.customers.add(customer)
        await s.tariffs.add(tariff)
        for sub in subs:
            await s.subscriptions.add(sub)
            await s.accesses.add(
                Access.new(
                    id=AccessId(uuid4()),
                    subscription_id=sub.id,
                    customer_id=customer.id,
                    panel_id=PanelId("p"),
                    now=build.now,
                )
            )
        await s.commit()
        seen: list[AccessId] = []
        after = None
        while page := await s.accesses.for_panel(PanelId("p"), after=after, limit=3):
            seen.extend(a.id for a in page)
            after = page[-1].id
        assert seen == sorted(seen)
        assert len(set(seen)) == 7


async def test_payment_round_trip(scope, build) -> None:
    customer, tariff = build.a_customer(), build.a_tariff()
    subscription = build.a_subscription(customer, tariff)
    payment = build.a_payment(customer, tariff, subscription_id=subscription.id, auto_renewal=True)
    payment.attach_provider("yk-1", "https://pay.example/yk-1")
    async with scope() as s:
        await s.customers.add(customer)
        await s.tariffs.add(tariff)
        await s.subscriptions.add(subscription)
        await s.payments.add(payment)
        await s.commit()
    payment.mark_succeeded(payment.amount, build.later(minutes=3), saved_method_id="pm-1")
    payment.mark_refunded(build.later(days=1))
    payment.flagged = "checked by hand"
    payment.referrer_days = 7
    payment.referrer_subscription_id = subscription.id
    async with scope() as s:
        await s.payments.save(payment)
        await s.commit()
    async with scope() as s:
        loaded = await s.payments.get(payment.id, for_update=True)
        assert loaded is not None
        same(loaded, payment)
        assert loaded.quote == payment.quote
        by_provider = await s.payments.get_by_provider_id(PaymentProvider.YOOKASSA, "yk-1")
        assert by_provider == payment
        assert await s.payments.get_by_provider_id(PaymentProvider.CRYPTOPAY, "yk-1") is None
        assert await s.payments.for_customer(customer.id) == [payment]


async def test_stars_payment_round_trip_keeps_whole_stars(scope, build) -> None:
    customer, tariff = build.a_customer(), build.a_tariff()
    quote = replace(
        build.a_payment(customer, tariff).quote,
        base=Money.of(111, Currency.XTR),
        promo_discount=Money.zero(Currency.XTR),
        referral_discount=Money.of(11, Currency.XTR),
        balance_applied=Money.zero(Currency.XTR),
        total=Money.of(100, Currency.XTR),
        promo_code="SUMMER",
        bonus_days=3,
    )
    payment = build.a_payment(customer, tariff, provider=PaymentProvider.STARS, quote=quote)
    payment.mark_succeeded(Money.of(100, Currency.XTR), build.now, charge_id="tg-charge-1")
    async with scope() as s:
        await s.customers.add(customer)
        await s.tariffs.add(tariff)
        await s.payments.add(payment)
        await s.commit()
    async with scope() as s:
        loaded = await s.payments.get_by_charge_id("tg-charge-1")
        assert loaded is not None
        same(loaded, payment)
        assert str(loaded.amount.amount) == "100"


async def test_claim_pending_payments_oldest_first(scope, build) -> None:
    customer, tariff = build.a_customer(), build.a_tariff()
    old = build.a_payment(customer, tariff, created_at=build.now - timedelta(hours=2))
    older = build.a_payment(customer, tariff, created_at=build.now - timedelta(hours=3))
    fresh = build.a_payment(customer, tariff, created_at=build.now)
    done = build.a_payment(customer, tariff, created_at=build.now - timedelta(hours=5))
    done.mark_canceled(build.now)
    async with scope() as s:
        await s.customers.add(customer)
        await s.tariffs.add(tariff)
        for p in (old, older, fresh, done):
            await s.payments.add(p)
        await s.commit()
    async with scope() as s:
        claimed = await s.payments.claim_pending(build.now - timedelta(hours=1), 10)
        assert [p.id for p in claimed] == [older.id, old.id]


async def test_promo_round_trip_and_redemptions(scope, build) -> None:
    customer, tariff = build.a_customer(), build.a_tariff()
    promo = PromoCode(
        id=PromoCodeId(uuid4()),
        code=" summer-25 ",
        kind=PromoKind.PERCENT,
        created_at=build.now,
        percent=Decimal("12.5"),
        valid_from=build.now,
        valid_until=build.later(days=30),
        max_uses=100,
        max_uses_per_customer=2,
        uses=5,
        allowed_tariffs=frozenset({tariff.id}),
        first_purchase_only=True,
    )
    fixed = PromoCode(
        id=PromoCodeId(uuid4()),
        code="FIXED",
        kind=PromoKind.FIXED,
        created_at=build.later(seconds=1),
        amount=Money.of(50, Currency.XTR),
        active=False,
    )
    payment = build.a_payment(customer, tariff)
    async with scope() as s:
        await s.customers.add(customer)
        await s.tariffs.add(tariff)
        await s.payments.add(payment)
        await s.promos.add(promo)
        await s.promos.add(fixed)
        await s.promos.add_redemption(
            Redemption(
                promo_id=promo.id,
                customer_id=customer.id,
                redeemed_at=build.now,
                payment_id=payment.id,
            )
        )
        await s.promos.add_redemption(
            Redemption(promo_id=promo.id, customer_id=customer.id, redeemed_at=build.now)
        )
        await s.commit()
    async with scope() as s:
        loaded = await s.promos.get_by_code("Summer-25", for_update=True)
        assert loaded is not None
        same(loaded, promo)
        loaded_fixed = await s.promos.get(fixed.id)
        assert loaded_fixed is not None
        same(loaded_fixed, fixed)
        assert await s.promos.get_by_code("not a code!") is None
        assert await s.promos.list() == [fixed, promo]
        assert await s.promos.list(include_inactive=False) == [promo]
        assert await s.promos.customer_uses(promo.id, customer.id) == 2
        assert await s.promos.remove_redemption(promo.id, payment.id) is True
        assert await s.promos.remove_redemption(promo.id, payment.id) is False
        assert await s.promos.customer_uses(promo.id, customer.id) == 1


async def test_audit_log_records_json_snapshots(scope, build) -> None:
    async with scope() as s:
        await s.audit.record(
            actor_telegram_id=42,
            action="tariff.update",
            target="tariff:std",
            at=build.now,
            before={"price": Decimal("199.90"), "id": uuid4()},
            after={"price": Decimal("249.00"), "at": build.now},
        )
        await s.commit()
        row = (await s.uow.session.execute(select(audit_log))).mappings().one()
        assert row["after"] == {"price": "249.00", "at": build.now.isoformat()}
        assert row["actor_telegram_id"] == 42
        assert row["at"] == build.now
        total = await s.uow.session.execute(select(func.count()).select_from(audit_log))
        assert total.scalar_one() == 1


async def test_uncommitted_scope_rolls_back(scope, build) -> None:
    customer = build.a_customer(telegram_id=TelegramId(777))
    async with scope() as s:
        await s.customers.add(customer)
    async with scope() as s:
        assert await s.customers.get(CustomerId(customer.id)) is None


async def test_every_scope_gives_its_connection_back(scope, build) -> None:
    customer = build.a_customer(telegram_id=TelegramId(778))
    async with scope() as s:  # used, committed
        pool = (await s.uow.session.connection()).engine.pool
        await s.customers.add(customer)
        await s.uow.commit()
    async with scope() as s:  # read only, left without a commit
        assert await s.customers.get(CustomerId(customer.id)) is not None
    async with scope():  # never used
        pass

    assert pool.checkedout() == 0
