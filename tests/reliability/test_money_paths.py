"""Money paths in memory under random sequences of duplicate and concurrent events.

Two customers buy, renew and top up with every provider, with and without promo codes and
balance; the providers confirm (once, several times, concurrently, with a wrong amount),
cancel, expire and refund in any order. Afterwards, whatever happened:

* each payment was credited at most once (one ``payment_received`` staged with the
  credit — or ``reactivated`` for a renewal of an expired subscription — per succeeded
  payment, one top-up ledger entry, at most one provider refund);
* every subscription ends at ``start + Σ(days + bonus days)`` of its succeeded and not
  refunded payments (the clock stands still; refunds take back their days);
* no balance is negative and every balance equals the sum of its ledger;
* promo uses never exceed their limits (total and per customer).

A second property lets time pass (expiry sweeps between events) and checks that the
access desired state always follows its subscription.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vpnsales.application.interactors.payments.refund_payment import RefundInitiator
from vpnsales.application.interactors.system.expire_due_subscriptions import (
    ExpireDueSubscriptions,
    ExpireDueSubscriptionsCommand,
)
from vpnsales.domain.access import DesiredState
from vpnsales.domain.customer import BalanceReason
from vpnsales.domain.errors import DomainError
from vpnsales.domain.ids import TelegramId
from vpnsales.domain.money import Currency, Money
from vpnsales.domain.notifications import IntentKind
from vpnsales.domain.payment import PaymentProvider, PaymentPurpose, PaymentStatus
from vpnsales.domain.promo import PromoKind
from vpnsales.domain.subscription import SubscriptionStatus
from vpnsales.testing.app import InMemoryApp, build_in_memory_app
from vpnsales.testing.builders import a_promo, a_tariff, an_option, rub

from .conftest import payment_receipts

FAST = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SLOW = settings(
    max_examples=1500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

CUSTOMERS = (101, 102)
PROVIDERS = (PaymentProvider.YOOKASSA, PaymentProvider.CRYPTOPAY)
PROMO_LIMIT = 2


async def _shop() -> InMemoryApp:
    app = build_in_memory_app()
    await app.add_tariff(
        a_tariff(code="basic", options=(an_option(30, rub=300), an_option(90, rub=800)), order=1)
    )
    await app.add_promo(a_promo("BONUS", kind=PromoKind.BONUS_DAYS, days=7, max_uses=PROMO_LIMIT))
    await app.add_promo(a_promo("HALF", percent=50, max_uses=PROMO_LIMIT, max_uses_per_customer=1))
    for tg in CUSTOMERS:
        await app.register(telegram_id=TelegramId(tg))
    return app


async def _grant(app: InMemoryApp, tg: int, amount: Money) -> None:
    async with app.scope() as p:
        found = await p.customers.get_by_telegram_id(TelegramId(tg), for_update=True)
        assert found is not None
        found.credit(amount, BalanceReason.ADMIN_GRANT, app.clock.now(), entry_id=uuid4())
        await p.customers.save(found)
        await p.uow.commit()


# -- actions -----------------------------------------------------------------------------
checkout = st.tuples(
    st.just("checkout"),
    st.sampled_from(CUSTOMERS),
    st.sampled_from([30, 90]),
    st.sampled_from([None, "BONUS", "HALF", "bonus ", "NOPE"]),
    st.sampled_from(PROVIDERS),
    st.booleans(),  # use balance
    st.booleans(),  # renew the customer's latest subscription
)
top_up = st.tuples(st.just("top_up"), st.sampled_from(CUSTOMERS), st.sampled_from(PROVIDERS))
grant = st.tuples(st.just("grant"), st.sampled_from(CUSTOMERS), st.sampled_from([50, 400]))
on_payment = st.tuples(
    st.sampled_from(
        [
            "confirm",
            "confirm",
            "confirm_x3",
            "confirm_wrong_amount",
            "provider_success",
            "cancel",
            "expire",
            "refund_by_provider",
            "refund_by_admin",
        ]
    ),
    st.integers(min_value=0, max_value=7),  # which payment (modulo the number made)
)
actions = st.lists(st.one_of(checkout, top_up, grant, on_payment), min_size=1, max_size=14)


@dataclass
class Run:
    app: InMemoryApp
    checkouts: list[Any] = field(default_factory=list)


async def _on_payment(run: Run, name: str, which: int) -> None:
    if not run.checkouts:
        return
    app = run.app
    co = run.checkouts[which % len(run.checkouts)]
    if co.status is not PaymentStatus.PENDING and name != "refund_by_admin":
        return  # paid from balance at once: nothing for a provider to say
    provider = co.provider
    amount = co.quote.total
    if name.startswith("confirm") and co.status is PaymentStatus.PENDING:
        app.gateways[provider].succeed(co.payment_id)  # the customer really paid
    if name == "confirm":
        await app.confirm_payment(provider=provider, payment_id=co.payment_id, amount=amount)
    elif name == "confirm_x3":
        results = await asyncio.gather(
            *(
                app.confirm_payment(provider=provider, payment_id=co.payment_id, amount=amount)
                for _ in range(3)
            ),
            return_exceptions=True,
        )
        for r in results:
            if isinstance(r, BaseException) and not isinstance(r, DomainError):
                raise r
    elif name == "confirm_wrong_amount":
        wrong = Money.exact(amount.amount + 1, amount.currency)
        await app.confirm_payment(provider=provider, payment_id=co.payment_id, amount=wrong)
    elif name == "provider_success":
        await app.confirm_provider_payment(app.gateways[provider].succeed(co.payment_id))
    elif name == "cancel":
        await app.record_payment_failure(provider=provider, payment_id=co.payment_id)
    elif name == "expire":
        await app.record_payment_failure(
            provider=provider, payment_id=co.payment_id, status=PaymentStatus.EXPIRED
        )
    else:
        initiator = RefundInitiator.ADMIN if name == "refund_by_admin" else RefundInitiator.PROVIDER
        await app.refund(payment_id=co.payment_id, initiated_by=initiator)


async def _latest_subscription(app: InMemoryApp, tg: int) -> Any:
    me = await app.customer(tg)
    mine = [s for s in app.rows("subscriptions") if s.customer_id == me.id]
    return mine[-1] if mine else None


async def _act(run: Run, action: tuple[Any, ...]) -> None:
    app = run.app
    try:
        if action[0] == "checkout":
            _, tg, days, promo, provider, use_balance, renew = action
            sub = await _latest_subscription(app, tg) if renew else None
            co = await app.start_checkout(
                telegram_id=TelegramId(tg),
                tariff_code="basic",
                days=days,
                provider=provider,
                promo_code=promo,
                use_balance=use_balance,
                purpose=PaymentPurpose.RENEWAL if sub else PaymentPurpose.NEW,
                subscription_id=sub.id if sub else None,
            )
            run.checkouts.append(co)
        elif action[0] == "top_up":
            _, tg, provider = action
            co = await app.start_checkout(
                telegram_id=TelegramId(tg),
                provider=provider,
                purpose=PaymentPurpose.TOP_UP,
                top_up=rub(250),
            )
            run.checkouts.append(co)
        elif action[0] == "grant":
            await _grant(app, action[1], rub(action[2]))
        else:
            await _on_payment(run, action[0], action[1])
    except DomainError:
        pass  # refused (limits, transitions, mismatches): the property is about state


async def _check_invariants(app: InMemoryApp, *, exact_periods: bool) -> None:
    await app.run_outbox()
    payments = app.rows("payments")
    # one "payment received" staged with each credit (delivered, or withdrawn by the
    # new access's card) — or, for a renewal that brought an expired subscription back,
    # one "reactivated" (which carries no payment id)
    received = payment_receipts(app)
    reactivated = len(app.notifier.intents(IntentKind.REACTIVATED))
    credited = [
        p for p in payments if p.status in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED)
    ]
    for payment in payments:
        assert received[str(payment.id)] <= (1 if payment in credited else 0), payment
    assert sum(received.values()) + reactivated == len(credited)
    for gateway in app.gateways.values():
        refunded = Counter(r.provider_payment_id for r in gateway.refunds)
        assert all(n == 1 for n in refunded.values()), gateway.refunds

    # subscriptions: start + Σ(days + bonus) of live payments
    if exact_periods:
        days: dict[Any, int] = defaultdict(int)
        for payment in payments:
            if payment.subscription_id is not None and payment.status is PaymentStatus.SUCCEEDED:
                days[payment.subscription_id] += payment.quote.days + payment.quote.bonus_days
        now = app.clock.now()
        for sub in app.rows("subscriptions"):
            assert sub.expires_at == now + timedelta(days=days[sub.id]), (sub, days[sub.id])
            if days[sub.id] == 0:
                assert sub.status is not SubscriptionStatus.ACTIVE

    # balances and ledger
    async with app.scope() as p:
        for tg in CUSTOMERS:
            me = await p.customers.get_by_telegram_id(TelegramId(tg))
            assert me is not None
            assert not me.balance.is_negative
            ledger = await p.customers.ledger(me.id, limit=10_000)
            total = Money.zero(Currency.RUB)
            for entry in ledger:
                total = total + entry.amount
            assert total == me.balance
            top_ups = Counter(e.reference for e in ledger if e.reason is BalanceReason.TOP_UP)
            assert all(n == 1 for n in top_ups.values())

    # promo limits
    for promo in app.rows("promos"):
        assert promo.max_uses is None or promo.uses <= promo.max_uses
    credited_with: Counter[str] = Counter()
    per_customer: Counter[tuple[str, Any]] = Counter()
    for payment in payments:
        code = payment.quote.promo_code
        if code and payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED):
            credited_with[code] += 1
            per_customer[code, payment.customer_id] += 1
    assert all(n <= PROMO_LIMIT for n in credited_with.values()), credited_with
    assert per_customer.get(("HALF", None), 0) == 0
    assert all(n <= 1 for (code, _), n in per_customer.items() if code == "HALF"), per_customer

    # accesses follow their subscriptions
    subs = {s.id: s for s in app.rows("subscriptions")}
    for access in app.rows("accesses"):
        sub = subs[access.subscription_id]
        if access.desired is not DesiredState.DELETED:
            assert access.desired is sub.desired_access, (access, sub)


async def _scenario(steps: list[tuple[Any, ...]], concurrent: bool) -> None:
    run = Run(await _shop())
    if concurrent:
        await asyncio.gather(*(_act(run, a) for a in steps))
    else:
        for a in steps:
            await _act(run, a)
    await _check_invariants(run.app, exact_periods=True)


async def _scenario_with_time(steps: list[tuple[Any, ...]], hours: list[int]) -> None:
    run = Run(await _shop())
    expire = ExpireDueSubscriptionsCommand()
    for a, h in zip(steps, hours, strict=False):
        await _act(run, a)
        run.app.clock.advance(timedelta(hours=h))
        async with run.app.scope() as p:
            await ExpireDueSubscriptions(
                uow=p.uow,
                subscriptions=p.subscriptions,
                accesses=p.accesses,
                outbox=p.outbox,
                clock=p.clock,
                policy=p.policy,
            )(expire)
    await _check_invariants(run.app, exact_periods=False)
    now = run.app.clock.now()
    for sub in run.app.rows("subscriptions"):
        if sub.status is SubscriptionStatus.ACTIVE:
            assert sub.expires_at > now  # the sweep left nothing overdue


@FAST
@given(steps=actions, concurrent=st.booleans())
def test_money_invariants_hold_after_any_event_sequence(
    steps: list[tuple[Any, ...]], concurrent: bool
) -> None:
    asyncio.run(_scenario(steps, concurrent))


@FAST
@given(steps=actions, hours=st.lists(st.sampled_from([0, 1, 24, 24 * 40]), min_size=14))
def test_money_invariants_hold_while_time_passes(
    steps: list[tuple[Any, ...]], hours: list[int]
) -> None:
    asyncio.run(_scenario_with_time(steps, hours))


@pytest.mark.slow
@SLOW
@given(steps=actions, concurrent=st.booleans())
def test_money_invariants_thousands_of_sequences(
    steps: list[tuple[Any, ...]], concurrent: bool
) -> None:
    asyncio.run(_scenario(steps, concurrent))
