"""Find a customer by Telegram id or @username and show their card (owner, support)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from vpnsales.application.interactors.admin._customers import resolve_customer
from vpnsales.application.interactors.admin._guard import Permission, authorize
from vpnsales.application.ports.admin import AdminRepository
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.readers import (
    PaymentReader,
    PaymentView,
    ReferralReader,
    ReferralStats,
    SubscriptionReader,
    SubscriptionView,
)
from vpnsales.application.ports.repositories import AuditLog, CustomerRepository
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.domain.customer import BalanceEntry, Language
from vpnsales.domain.ids import CustomerId, TelegramId
from vpnsales.domain.money import Money


@dataclass(frozen=True, slots=True, kw_only=True)
class FindCustomerCommand:
    actor_telegram_id: int
    query: str
    """A Telegram id or a @username."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerCard:
    customer_id: CustomerId
    telegram_id: TelegramId
    username: str | None
    first_name: str
    language: Language
    created_at: datetime
    banned: bool
    trial_used: bool
    has_purchased: bool
    balance: Money
    ledger: tuple[BalanceEntry, ...]
    """Newest first."""
    subscriptions: tuple[SubscriptionView, ...]
    """With each one's access and its sync status."""
    payments: tuple[PaymentView, ...]
    referrals: ReferralStats
    referrer_id: CustomerId | None


class FindCustomer:
    """Viewing personal data is audited (``customer.view``)."""

    def __init__(
        self,
        *,
        uow: UnitOfWork,
        admins: AdminRepository,
        customers: CustomerRepository,
        subscription_reader: SubscriptionReader,
        payment_reader: PaymentReader,
        referral_reader: ReferralReader,
        audit: AuditLog,
        clock: Clock,
    ) -> None:
        self._uow = uow
        self._admins = admins
        self._customers = customers
        self._subscription_reader = subscription_reader
        self._payment_reader = payment_reader
        self._referral_reader = referral_reader
        self._audit = audit
        self._clock = clock

    async def __call__(self, command: FindCustomerCommand) -> CustomerCard:
        await authorize(self._admins, command.actor_telegram_id, Permission.VIEW_CUSTOMER)
        customer = await resolve_customer(self._customers, command.query)
        ledger = await self._customers.ledger(customer.id, limit=20)
        now = self._clock.now()
        await self._audit.record(
            actor_telegram_id=command.actor_telegram_id,
            action="customer.view",
            target=f"customer:{customer.telegram_id}",
            at=now,
        )
        await self._uow.commit()
        subscriptions = await self._subscription_reader.for_customer(
            customer.id, language=customer.language, now=now
        )
        payments = await self._payment_reader.for_customer(customer.id, limit=20)
        referrals = await self._referral_reader.stats(
            customer.id, currency_zero=Money.zero(customer.balance.currency)
        )
        return CustomerCard(
            customer_id=customer.id,
            telegram_id=customer.telegram_id,
            username=customer.username,
            first_name=customer.first_name,
            language=customer.language,
            created_at=customer.created_at,
            banned=customer.banned,
            trial_used=customer.trial_used,
            has_purchased=customer.has_purchased,
            balance=customer.balance,
            ledger=tuple(ledger),
            subscriptions=tuple(subscriptions),
            payments=tuple(payments),
            referrals=referrals,
            referrer_id=customer.referrer_id,
        )
