"""The catalog for this customer: active, listed tariffs in display order (a query)."""

from __future__ import annotations

from dataclasses import dataclass

from vpnsales.application.interactors.customer._views import tariff_view
from vpnsales.application.policy import ShopPolicy
from vpnsales.application.ports.readers import TariffView
from vpnsales.application.ports.repositories import CustomerRepository, TariffRepository
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.domain.customer import Language
from vpnsales.domain.ids import TelegramId


@dataclass(frozen=True, slots=True, kw_only=True)
class ListTariffsQuery:
    telegram_id: TelegramId | None = None
    """``None``: an anonymous visitor (new-customer tariffs are shown)."""
    language: Language | None = None
    """Overrides the customer's language."""


class ListTariffs:
    def __init__(
        self,
        *,
        uow: UnitOfWork,
        customers: CustomerRepository,
        tariffs: TariffRepository,
        policy: ShopPolicy,
    ) -> None:
        self._uow = uow
        self._customers = customers
        self._tariffs = tariffs
        self._policy = policy

    async def __call__(self, query: ListTariffsQuery) -> list[TariffView]:
        try:
            customer = (
                await self._customers.get_by_telegram_id(query.telegram_id)
                if query.telegram_id is not None
                else None
            )
            tariffs = await self._tariffs.list()
        finally:
            await self._uow.rollback()
        language = query.language or (customer.language if customer else Language.EN)
        return [
            tariff_view(t, language, self._policy) for t in tariffs if t.is_listed_for(customer)
        ]
