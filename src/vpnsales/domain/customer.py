"""Customer aggregate: a Telegram user with a balance ledger."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from vpnsales.domain.errors import (
    CurrencyMismatch,
    CustomerBanned,
    InsufficientBalance,
    InvalidValue,
)
from vpnsales.domain.ids import CustomerId, TelegramId
from vpnsales.domain.money import Currency, Money
from vpnsales.domain.time import ensure_aware


class Language(StrEnum):
    RU = "ru"
    EN = "en"

    @classmethod
    def from_telegram(cls, code: str | None) -> Language:
        """Telegram's ``language_code`` (``ru``, ``ru-RU``, ``uk``…) → ours; fallback English."""
        if code and code.lower().split("-")[0] in {"ru", "be", "uk", "kk"}:
            return cls.RU
        return cls.EN


class BalanceReason(StrEnum):
    REFERRAL_REWARD = "referral_reward"
    REFUND = "refund"
    PURCHASE = "purchase"
    TOP_UP = "top_up"
    PROMO_CREDIT = "promo_credit"
    ADMIN_GRANT = "admin_grant"
    ADMIN_DEBIT = "admin_debit"


@dataclass(frozen=True, slots=True, kw_only=True)
class BalanceEntry:
    """One line of the append-only ledger. Positive = credit, negative = debit."""

    id: UUID
    customer_id: CustomerId
    amount: Money
    reason: BalanceReason
    created_at: datetime
    reference: str | None = None
    """What caused it: a payment id, a promo code, an admin id."""


@dataclass(eq=False, slots=True, kw_only=True)
class Customer:
    id: CustomerId
    telegram_id: TelegramId
    created_at: datetime
    username: str | None = None
    first_name: str = ""
    language: Language = Language.EN
    referrer_id: CustomerId | None = None
    referral_code: str = ""
    banned: bool = False
    trial_used: bool = False
    has_purchased: bool = False
    balance: Money = field(default_factory=lambda: Money.zero(Currency.RUB))
    new_entries: list[BalanceEntry] = field(default_factory=list)
    """Ledger entries added since load; persisted with the customer."""

    def __post_init__(self) -> None:
        ensure_aware(self.created_at)
        if self.balance.is_negative:
            raise InvalidValue("balance cannot be negative")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Customer) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    def ensure_not_banned(self) -> None:
        if self.banned:
            raise CustomerBanned()

    def update_profile(self, *, username: str | None, first_name: str) -> bool:
        changed = (username, first_name) != (self.username, self.first_name)
        self.username, self.first_name = username, first_name
        return changed

    def credit(
        self,
        amount: Money,
        reason: BalanceReason,
        now: datetime,
        *,
        entry_id: UUID,
        reference: str | None = None,
    ) -> BalanceEntry:
        if not amount.is_positive:
            raise InvalidValue("credit must be positive")
        return self._post(amount, reason, now, entry_id, reference)

    def debit(
        self,
        amount: Money,
        reason: BalanceReason,
        now: datetime,
        *,
        entry_id: UUID,
        reference: str | None = None,
    ) -> BalanceEntry:
        if not amount.is_positive:
            raise InvalidValue("debit must be positive")
        if amount.currency is not self.balance.currency:
            raise CurrencyMismatch("balance currency differs")
        if amount > self.balance:
            raise InsufficientBalance()
        return self._post(-amount, reason, now, entry_id, reference)

    def _post(
        self,
        signed: Money,
        reason: BalanceReason,
        now: datetime,
        entry_id: UUID,
        reference: str | None,
    ) -> BalanceEntry:
        ensure_aware(now)
        self.balance = self.balance + signed
        entry = BalanceEntry(
            id=entry_id,
            customer_id=self.id,
            amount=signed,
            reason=reason,
            created_at=now,
            reference=reference,
        )
        self.new_entries.append(entry)
        return entry

    def ban(self) -> None:
        self.banned = True

    def unban(self) -> None:
        self.banned = False
