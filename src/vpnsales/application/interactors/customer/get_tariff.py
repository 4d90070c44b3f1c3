"""One tariff by its code, for a deep link (``t_<code>``): hidden-link tariffs included,
inactive and trial tariffs refused (a query)."""

from __future__ import annotations

from dataclasses import dataclass

from vpnsales.application.interactors.customer._views import tariff_view
from vpnsales.application.policy import ShopPolicy
from vpnsales.application.ports.readers import TariffView
from vpnsales.application.ports.repositories import CustomerRepository, TariffRepository
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.domain.customer import Language
from vpnsales.domain.errors import TariffNotFound
from vpnsales.domain.ids import TelegramId


@dataclass(frozen=True, slots=True, kw_only=True)
class GetTariffQuery:
    code: str
    telegram_id: TelegramId | None = None
    language: Language | None = None


class GetTariff:
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

    async def __call__(self, query: GetTariffQuery) -> TariffView:
        try:
            tariff = await self._tariffs.get_by_code(query.code.strip().lower())
            customer = (
                await self._customers.get_by_telegram_id(query.telegram_id)
                if query.telegram_id is not None
                else None
            )
        finally:
            await self._uow.rollback()
        if tariff is None:
            raise TariffNotFound(query.code)
        if customer is not None:
            tariff.ensure_purchasable_by(customer)  # TariffUnavailable when not
        elif not tariff.active or tariff.is_trial:
            raise TariffNotFound(query.code)
        language = query.language or (customer.language if customer else Language.EN)
        return tariff_view(tariff, language, self._policy)
