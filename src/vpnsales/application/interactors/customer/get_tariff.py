"""One tariff by its code, for a deep link (``t_<code>``): hidden-link tariffs included,
inactive and trial tariffs refused (a query)."""

from __future__ import annotations

from dataclasses import dataclass

from vpnsales.application.interactors.customer._views import tariff_view, viewer
from vpnsales.application.policy import ShopPolicy
from vpnsales.application.ports.readers import CustomerReader, CustomerView, TariffView
from vpnsales.application.ports.repositories import TariffCatalog
from vpnsales.domain.customer import Language
from vpnsales.domain.errors import TariffNotFound
from vpnsales.domain.ids import TelegramId


@dataclass(frozen=True, slots=True, kw_only=True)
class GetTariffQuery:
    code: str
    telegram_id: TelegramId | None = None
    language: Language | None = None
    customer: CustomerView | None = None
    """The caller's view of this customer (the bot's cached one): not read again."""


class GetTariff:
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

    async def __call__(self, query: GetTariffQuery) -> TariffView:
        code = query.code.strip().lower()
        tariff = next((t for t in await self._catalog.tariffs() if t.code == code), None)
        if tariff is None:
            raise TariffNotFound(query.code)
        customer = await viewer(self._customers, query.telegram_id, query.customer)
        if customer is not None:
            # TariffUnavailable when not
            tariff.ensure_purchasable(has_purchased=customer.has_purchased)
        elif not tariff.active or tariff.is_trial:
            raise TariffNotFound(query.code)
        language = query.language or (customer.language if customer else Language.EN)
        return tariff_view(tariff, language, self._policy)
