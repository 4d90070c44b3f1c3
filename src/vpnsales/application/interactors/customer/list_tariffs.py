"""The catalog for this customer: active, listed tariffs in display order (a query)."""

from __future__ import annotations

from dataclasses import dataclass

from vpnsales.application.interactors.customer._views import tariff_view, viewer
from vpnsales.application.policy import ShopPolicy
from vpnsales.application.ports.readers import CustomerReader, CustomerView, TariffView
from vpnsales.application.ports.repositories import TariffCatalog
from vpnsales.domain.customer import Language
from vpnsales.domain.ids import TelegramId


@dataclass(frozen=True, slots=True, kw_only=True)
class ListTariffsQuery:
    telegram_id: TelegramId | None = None
    """``None``: an anonymous visitor (new-customer tariffs are shown)."""
    language: Language | None = None
    """Overrides the customer's language."""
    customer: CustomerView | None = None
    """The caller's view of this customer (the bot's cached one): not read again."""


class ListTariffs:
    def __init__(
        self,
        *,
        customers: CustomerReader,
        catalog: TariffCatalog,
        policy: ShopPolicy,
    ) -> None:
        self._customers = customers
        self._catalog = catalog
        self._policy = policy

    async def __call__(self, query: ListTariffsQuery) -> list[TariffView]:
        customer = await viewer(self._customers, query.telegram_id, query.customer)
        tariffs = await self._catalog.tariffs()
        language = query.language or (customer.language if customer else Language.EN)
        has_purchased = customer is not None and customer.has_purchased
        return [
            tariff_view(t, language, self._policy)
            for t in tariffs
            if t.is_listed(has_purchased=has_purchased)
        ]
