"""The bot's customer-facing interactors over an :class:`InMemoryApp`, for dishka.

A dispatcher built by ``entrypoints.bot.build_dispatcher`` resolves its interactors from
a dishka container; this provider gives it every customer-facing one at REQUEST scope
over the in-memory adapters (one ``InMemoryApp`` scope per request), and
:class:`ScopedCustomerReader` gives the bot's customer directory its reader::

    container = make_async_container(InMemoryInteractors(app))
    dp = build_dispatcher(..., customers=ScopedCustomerReader(app))
    attach_container(dp, container)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from dishka import Provider, Scope, provide

from vpnsales.application.interactors.customer.activate_trial import ActivateTrial
from vpnsales.application.interactors.customer.balance_history import GetBalanceHistory
from vpnsales.application.interactors.customer.get_tariff import GetTariff
from vpnsales.application.interactors.customer.list_tariffs import ListTariffs
from vpnsales.application.interactors.customer.my_subscriptions import ListMySubscriptions
from vpnsales.application.interactors.customer.redeem_promo_code import RedeemPromoCode
from vpnsales.application.interactors.customer.referral_info import GetReferralInfo
from vpnsales.application.interactors.customer.register_customer import RegisterCustomer
from vpnsales.application.interactors.customer.reset_access_link import ResetAccessLink
from vpnsales.application.interactors.customer.set_language import SetLanguage
from vpnsales.application.interactors.customer.toggle_auto_renewal import ToggleAutoRenewal
from vpnsales.application.interactors.payments.apply_provider_payment import ApplyProviderPayment
from vpnsales.application.interactors.payments.confirm_payment import ConfirmPayment
from vpnsales.application.interactors.payments.pay_from_balance import PayFromBalance
from vpnsales.application.interactors.payments.quote_price import QuotePrice
from vpnsales.application.interactors.payments.record_payment_failure import RecordPaymentFailure
from vpnsales.application.interactors.payments.refund_payment import RefundPayment
from vpnsales.application.interactors.payments.start_checkout import StartCheckout
from vpnsales.application.interactors.payments.validate_pre_checkout import ValidatePreCheckout
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.readers import CustomerView
from vpnsales.application.wiring import Interactors, Ports
from vpnsales.domain.ids import CustomerId, TelegramId
from vpnsales.testing.app import InMemoryApp

INTERACTORS: dict[type[Any], str] = {
    RegisterCustomer: "register_customer",
    GetBalanceHistory: "balance_history",
    SetLanguage: "set_language",
    ListTariffs: "list_tariffs",
    GetTariff: "get_tariff",
    ActivateTrial: "activate_trial",
    RedeemPromoCode: "redeem_promo_code",
    ListMySubscriptions: "my_subscriptions",
    GetReferralInfo: "referral_info",
    ResetAccessLink: "reset_access_link",
    ToggleAutoRenewal: "toggle_auto_renewal",
    QuotePrice: "quote_price",
    StartCheckout: "start_checkout",
    PayFromBalance: "pay_from_balance",
    ConfirmPayment: "confirm_payment",
    RecordPaymentFailure: "record_payment_failure",
    ValidatePreCheckout: "validate_pre_checkout",
    RefundPayment: "refund_payment",
    ApplyProviderPayment: "apply_provider_payment",
}


def _builder(name: str) -> Callable[[Ports], Any]:
    def build(ports: Ports) -> Any:
        return getattr(Interactors(ports), name)()

    return build


def _constant(value: Any) -> Callable[[], Any]:
    def get() -> Any:
        return value

    return get


class InMemoryInteractors(Provider):
    """Every customer-facing interactor at REQUEST scope over the in-memory app."""

    def __init__(self, app: InMemoryApp, singletons: dict[type[Any], Any] | None = None) -> None:
        super().__init__()
        self.app = app
        for cls, name in INTERACTORS.items():
            self.provide(_builder(name), provides=cls, scope=Scope.REQUEST)
        for kind, value in (singletons or {}).items():
            self.provide(_constant(value), provides=kind, scope=Scope.APP)

    @provide(scope=Scope.REQUEST)
    async def ports(self) -> AsyncIterator[Ports]:
        async with self.app.scope() as ports:
            yield ports

    @provide(scope=Scope.APP)
    def clock(self) -> Clock:
        return self.app.clock


class ScopedCustomerReader:
    """The bot directory's ``CustomerReader``: one short scope per read."""

    def __init__(self, app: InMemoryApp) -> None:
        self._app = app

    async def by_telegram_id(self, telegram_id: TelegramId) -> CustomerView | None:
        async with self._app.scope() as p:
            return await p.customer_reader.by_telegram_id(telegram_id)

    async def get(self, customer_id: CustomerId) -> CustomerView | None:
        async with self._app.scope() as p:
            return await p.customer_reader.get(customer_id)


__all__ = ["INTERACTORS", "InMemoryInteractors", "ScopedCustomerReader"]
