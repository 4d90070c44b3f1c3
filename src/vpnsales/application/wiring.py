"""The one place that builds interactors from ports.

``Ports`` is the bag of everything a request scope provides (one unit of work and the
repositories bound to it, plus process-wide services). ``Interactors`` builds each use
case from it. The in-memory app (``vpnsales.testing.app``) uses it per scope; dishka
providers can do the same (``Interactors(ports).confirm_payment()``) or provide the
classes directly — constructors take exactly these ports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

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
from vpnsales.application.interactors.payments.apply_provider_payment import (
    ApplyProviderPayment,
)
from vpnsales.application.interactors.payments.confirm_payment import ConfirmPayment
from vpnsales.application.interactors.payments.pay_from_balance import PayFromBalance
from vpnsales.application.interactors.payments.quote_price import QuotePrice
from vpnsales.application.interactors.payments.record_payment_failure import (
    RecordPaymentFailure,
)
from vpnsales.application.interactors.payments.refund_payment import RefundPayment
from vpnsales.application.interactors.payments.start_checkout import StartCheckout
from vpnsales.application.interactors.payments.validate_pre_checkout import (
    ValidatePreCheckout,
)
from vpnsales.application.policy import ShopPolicy
from vpnsales.application.ports.clock import Clock
from vpnsales.application.ports.notifier import AdminAlerter, Notifier
from vpnsales.application.ports.outbox import Outbox, OutboxConsumer, TaskKicker
from vpnsales.application.ports.panels import PanelRegistry
from vpnsales.application.ports.payments import PaymentGateway
from vpnsales.application.ports.readers import (
    CustomerReader,
    PaymentReader,
    ReferralReader,
    SubscriptionReader,
)
from vpnsales.application.ports.repositories import (
    AccessRepository,
    AuditLog,
    CustomerRepository,
    PaymentRepository,
    PromoCodeRepository,
    SubscriptionRepository,
    TariffCatalog,
    TariffRepository,
)
from vpnsales.application.ports.telemetry import NO_TELEMETRY, Telemetry
from vpnsales.application.ports.uow import UnitOfWork
from vpnsales.domain.payment import PaymentProvider


@dataclass(slots=True, kw_only=True)
class Ports:
    # request scope: one transaction
    uow: UnitOfWork
    customers: CustomerRepository
    tariffs: TariffRepository
    subscriptions: SubscriptionRepository
    accesses: AccessRepository
    payments: PaymentRepository
    promos: PromoCodeRepository
    audit: AuditLog
    outbox: Outbox
    # process-wide
    outbox_consumer: OutboxConsumer
    kicker: TaskKicker
    clock: Clock
    policy: ShopPolicy
    panels: PanelRegistry
    gateways: Mapping[PaymentProvider, PaymentGateway]
    notifier: Notifier
    alerter: AdminAlerter
    subscription_reader: SubscriptionReader
    customer_reader: CustomerReader
    referral_reader: ReferralReader
    payment_reader: PaymentReader
    catalog: TariffCatalog
    telemetry: Telemetry = NO_TELEMETRY
    extra: dict[str, Any] = field(default_factory=dict)
    """Ports added by other features (admin, broadcasts) until they get a field."""


class Interactors:
    """Builds the customer-facing and payment use cases from one scope's ports.

    Add system/admin builders here in the same style: one method per use case."""

    def __init__(self, ports: Ports) -> None:
        self.ports = ports

    # -- customer --------------------------------------------------------------------
    def register_customer(self) -> RegisterCustomer:
        p = self.ports
        return RegisterCustomer(uow=p.uow, customers=p.customers, clock=p.clock)

    def balance_history(self) -> GetBalanceHistory:
        return GetBalanceHistory(uow=self.ports.uow, customers=self.ports.customers)

    def set_language(self) -> SetLanguage:
        return SetLanguage(uow=self.ports.uow, customers=self.ports.customers)

    def list_tariffs(self) -> ListTariffs:
        p = self.ports
        return ListTariffs(customers=p.customer_reader, catalog=p.catalog, policy=p.policy)

    def get_tariff(self) -> GetTariff:
        p = self.ports
        return GetTariff(customers=p.customer_reader, catalog=p.catalog, policy=p.policy)

    def activate_trial(self) -> ActivateTrial:
        p = self.ports
        return ActivateTrial(
            uow=p.uow,
            customers=p.customers,
            tariffs=p.tariffs,
            subscriptions=p.subscriptions,
            accesses=p.accesses,
            outbox=p.outbox,
            kicker=p.kicker,
            panels=p.panels,
            clock=p.clock,
            policy=p.policy,
        )

    def redeem_promo_code(self) -> RedeemPromoCode:
        p = self.ports
        return RedeemPromoCode(
            uow=p.uow,
            customers=p.customers,
            subscriptions=p.subscriptions,
            accesses=p.accesses,
            promos=p.promos,
            outbox=p.outbox,
            kicker=p.kicker,
            clock=p.clock,
        )

    def my_subscriptions(self, *, panel_timeout: float = 2.0) -> ListMySubscriptions:
        p = self.ports
        return ListMySubscriptions(
            customers=p.customer_reader,
            subscriptions=p.subscription_reader,
            panels=p.panels,
            clock=p.clock,
            panel_timeout=panel_timeout,
        )

    def referral_info(self) -> GetReferralInfo:
        p = self.ports
        return GetReferralInfo(
            customers=p.customer_reader, referrals=p.referral_reader, policy=p.policy
        )

    def reset_access_link(self) -> ResetAccessLink:
        p = self.ports
        return ResetAccessLink(
            uow=p.uow,
            customers=p.customers,
            subscriptions=p.subscriptions,
            accesses=p.accesses,
            outbox=p.outbox,
            kicker=p.kicker,
            clock=p.clock,
        )

    def toggle_auto_renewal(self) -> ToggleAutoRenewal:
        p = self.ports
        return ToggleAutoRenewal(
            uow=p.uow, customers=p.customers, subscriptions=p.subscriptions, payments=p.payments
        )

    # -- payments --------------------------------------------------------------------
    def quote_price(self) -> QuotePrice:
        p = self.ports
        return QuotePrice(
            uow=p.uow,
            customers=p.customers,
            tariffs=p.tariffs,
            subscriptions=p.subscriptions,
            promos=p.promos,
            gateways=p.gateways,
            clock=p.clock,
            policy=p.policy,
        )

    def start_checkout(self) -> StartCheckout:
        p = self.ports
        return StartCheckout(
            uow=p.uow,
            customers=p.customers,
            tariffs=p.tariffs,
            subscriptions=p.subscriptions,
            accesses=p.accesses,
            payments=p.payments,
            promos=p.promos,
            outbox=p.outbox,
            kicker=p.kicker,
            panels=p.panels,
            gateways=p.gateways,
            clock=p.clock,
            policy=p.policy,
            telemetry=p.telemetry,
        )

    def pay_from_balance(self) -> PayFromBalance:
        p = self.ports
        return PayFromBalance(
            uow=p.uow,
            customers=p.customers,
            tariffs=p.tariffs,
            subscriptions=p.subscriptions,
            accesses=p.accesses,
            payments=p.payments,
            promos=p.promos,
            outbox=p.outbox,
            kicker=p.kicker,
            panels=p.panels,
            clock=p.clock,
            policy=p.policy,
            telemetry=p.telemetry,
        )

    def confirm_payment(self) -> ConfirmPayment:
        p = self.ports
        return ConfirmPayment(
            uow=p.uow,
            customers=p.customers,
            tariffs=p.tariffs,
            subscriptions=p.subscriptions,
            accesses=p.accesses,
            payments=p.payments,
            promos=p.promos,
            outbox=p.outbox,
            kicker=p.kicker,
            panels=p.panels,
            clock=p.clock,
            policy=p.policy,
            telemetry=p.telemetry,
        )

    def record_payment_failure(self) -> RecordPaymentFailure:
        p = self.ports
        return RecordPaymentFailure(
            uow=p.uow,
            payments=p.payments,
            promos=p.promos,
            outbox=p.outbox,
            kicker=p.kicker,
            clock=p.clock,
            telemetry=p.telemetry,
        )

    def validate_pre_checkout(self) -> ValidatePreCheckout:
        p = self.ports
        return ValidatePreCheckout(
            uow=p.uow,
            payments=p.payments,
            customers=p.customers,
            tariffs=p.tariffs,
            clock=p.clock,
            policy=p.policy,
        )

    def refund_payment(self) -> RefundPayment:
        p = self.ports
        return RefundPayment(
            uow=p.uow,
            customers=p.customers,
            subscriptions=p.subscriptions,
            accesses=p.accesses,
            payments=p.payments,
            outbox=p.outbox,
            kicker=p.kicker,
            audit=p.audit,
            clock=p.clock,
            policy=p.policy,
            telemetry=p.telemetry,
        )

    def apply_provider_payment(self) -> ApplyProviderPayment:
        """Also the worker's ``PaymentConfirmer`` (its ``confirm`` method)."""
        return ApplyProviderPayment(
            confirm=self.confirm_payment(),
            record_failure=self.record_payment_failure(),
            refund=self.refund_payment(),
        )
