"""Register or update a customer on every ``/start`` (and profile change).

First contact creates the customer with a unique short referral code and the language
from Telegram's ``language_code``; a referral (``ref_<code>`` deep link or a bare code)
is attached only then, never to oneself and never closing a cycle. Later contacts only
refresh the profile (username, first name); the chosen language is kept.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from uuid import uuid4

from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.repositories import CustomerRepository
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.domain.customer import Customer, Language
from vpnsales.domain.errors import CustomerAlreadyExists, ReferralNotAllowed
from vpnsales.domain.ids import CustomerId, TelegramId
from vpnsales.domain.referral import check_referral

REFERRAL_PREFIXES = ("ref_", "r_")
TARIFF_PREFIX = "t_"
_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
CODE_LENGTH = 8


@dataclass(frozen=True, slots=True, kw_only=True)
class RegisterCustomerCommand:
    telegram_id: TelegramId
    username: str | None = None
    first_name: str = ""
    language_code: str | None = None
    start_payload: str | None = None
    """The ``/start`` deep-link payload: ``ref_<code>``, ``t_<tariff>`` or a bare code."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RegisteredCustomer:
    customer_id: CustomerId
    created: bool
    language: Language
    referral_code: str
    referrer_id: CustomerId | None = None
    referral_refused: str | None = None
    """The ``code`` of the reason a referral in the payload was not attached."""
    deep_link_tariff: str | None = None
    """A tariff code from a ``t_<code>`` payload (the bot opens that tariff)."""
    banned: bool = False


def new_referral_code() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(CODE_LENGTH))


def parse_payload(payload: str | None) -> tuple[str | None, str | None]:
    """``(referral_code, tariff_code)`` from a ``/start`` payload."""
    if not payload:
        return None, None
    text = payload.strip()
    if text.startswith(TARIFF_PREFIX):
        return None, text[len(TARIFF_PREFIX) :].lower() or None
    for prefix in REFERRAL_PREFIXES:
        if text.startswith(prefix):
            return text[len(prefix) :] or None, None
    return text or None, None


class RegisterCustomer:
    def __init__(self, *, uow: UnitOfWork, customers: CustomerRepository, clock: Clock) -> None:
        self._uow = uow
        self._customers = customers
        self._clock = clock

    async def __call__(self, command: RegisterCustomerCommand) -> RegisteredCustomer:
        referral_code, tariff_code = parse_payload(command.start_payload)
        existing = await self._customers.get_by_telegram_id(command.telegram_id, for_update=True)
        if existing is not None:
            return await self._update(existing, command, referral_code, tariff_code)
        customer = Customer(
            id=CustomerId(uuid4()),
            telegram_id=command.telegram_id,
            created_at=self._clock.now(),
            username=command.username,
            first_name=command.first_name,
            language=Language.from_telegram(command.language_code),
            referral_code=await self._unique_code(),
        )
        refused: str | None = None
        if referral_code:
            refused = await self._attach_referrer(customer, referral_code)
        try:
            await self._customers.add(customer)
            await self._uow.commit()
        except CustomerAlreadyExists:  # a concurrent /start won the race
            await self._uow.rollback()
            winner = await self._customers.get_by_telegram_id(command.telegram_id)
            if winner is None:
                raise
            await self._uow.rollback()
            return self._result(winner, created=False, tariff_code=tariff_code)
        return self._result(customer, created=True, tariff_code=tariff_code, refused=refused)

    async def _update(
        self,
        customer: Customer,
        command: RegisterCustomerCommand,
        referral_code: str | None,
        tariff_code: str | None,
    ) -> RegisteredCustomer:
        refused = ReferralNotAllowed.code if referral_code else None
        if customer.update_profile(username=command.username, first_name=command.first_name):
            await self._customers.save(customer)
            await self._uow.commit()
        else:
            await self._uow.rollback()
        return self._result(customer, created=False, tariff_code=tariff_code, refused=refused)

    async def _attach_referrer(self, customer: Customer, code: str) -> str | None:
        referrer = await self._customers.get_by_referral_code(code)
        if referrer is None:
            return "referrer-not-found"
        chain = await self._customers.referrer_chain(referrer.id)
        referrers: dict[CustomerId, CustomerId | None] = {}
        current = referrer.id
        for ancestor in chain:
            referrers[current] = ancestor
            current = ancestor
        try:
            check_referral(
                customer_id=customer.id,
                referrer_id=referrer.id,
                first_contact=True,
                referrers=referrers,
            )
        except ReferralNotAllowed as exc:
            return exc.code
        customer.referrer_id = referrer.id
        return None

    async def _unique_code(self) -> str:
        while True:
            code = new_referral_code()
            if await self._customers.get_by_referral_code(code) is None:
                return code

    @staticmethod
    def _result(
        customer: Customer,
        *,
        created: bool,
        tariff_code: str | None,
        refused: str | None = None,
    ) -> RegisteredCustomer:
        return RegisteredCustomer(
            customer_id=customer.id,
            created=created,
            language=customer.language,
            referral_code=customer.referral_code,
            referrer_id=customer.referrer_id,
            referral_refused=refused,
            deep_link_tariff=tariff_code,
            banned=customer.banned,
        )
