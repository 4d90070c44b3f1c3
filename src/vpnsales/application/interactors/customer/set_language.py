"""Set the customer's language (the bot renders everything in it from now on)."""

from __future__ import annotations

from dataclasses import dataclass

from vpnsales.application.interactors.payments._support import load_customer
from vpnsales.application.ports.repositories import CustomerRepository
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.domain.customer import Language
from vpnsales.domain.ids import TelegramId


@dataclass(frozen=True, slots=True, kw_only=True)
class SetLanguageCommand:
    telegram_id: TelegramId
    language: Language


@dataclass(frozen=True, slots=True, kw_only=True)
class LanguageSet:
    language: Language
    changed: bool


class SetLanguage:
    def __init__(self, *, uow: UnitOfWork, customers: CustomerRepository) -> None:
        self._uow = uow
        self._customers = customers

    async def __call__(self, command: SetLanguageCommand) -> LanguageSet:
        customer = await load_customer(self._customers, command.telegram_id, for_update=True)
        if customer.language is command.language:
            await self._uow.rollback()
            return LanguageSet(language=customer.language, changed=False)
        customer.language = command.language
        await self._customers.save(customer)
        await self._uow.commit()
        return LanguageSet(language=customer.language, changed=True)
