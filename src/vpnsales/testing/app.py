"""One-call wiring of the whole application in memory, for tests and demos.

    app = build_in_memory_app()
    await app.add_tariff(a_tariff(code="basic"))
    customer = await app.register(telegram_id=1, language_code="en")
    checkout = await app.start_checkout(telegram_id=1, tariff_code="basic", days=30,
                                        provider=PaymentProvider.YOOKASSA)
    paid = app.gateways[PaymentProvider.YOOKASSA].succeed(checkout.payment_id)
    await app.confirm_provider_payment(paid)
    await app.run_outbox()

Every use-case method runs in its own scope: a fresh unit of work (rolled back at the
end unless the use case committed) and repositories bound to it, like one request.
``async with app.scope() as ports:`` gives the raw ``Ports`` for use cases that have no
convenience method yet; ``app.interactors(ports)`` builds any interactor from them.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from uuid import UUID

from vpnsales.adapters.memory import (
    MemoryAccessRepository,
    MemoryAuditLog,
    MemoryCustomerReader,
    MemoryCustomerRepository,
    MemoryDatabase,
    MemoryOutbox,
    MemoryOutboxConsumer,
    MemoryPaymentReader,
    MemoryPaymentRepository,
    MemoryPromoCodeRepository,
    MemoryReferralReader,
    MemorySubscriptionReader,
    MemorySubscriptionRepository,
    MemoryTariffCatalog,
    MemoryTariffRepository,
    MemoryUnitOfWork,
    RecordingAlerter,
    RecordingNotifier,
    RecordingTaskKicker,
    StaticPanelRegistry,
)
from vpnsales.application.common import receipt_key
from vpnsales.application.interactors.customer.activate_trial import (
    ActivateTrialCommand,
    TrialActivated,
)
from vpnsales.application.interactors.customer.get_tariff import GetTariffQuery
from vpnsales.application.interactors.customer.list_tariffs import ListTariffsQuery
from vpnsales.application.interactors.customer.my_subscriptions import (
    MySubscriptions,
    MySubscriptionsQuery,
)
from vpnsales.application.interactors.customer.redeem_promo_code import (
    PromoRedeemed,
    RedeemPromoCodeCommand,
)
from vpnsales.application.interactors.customer.referral_info import (
    ReferralInfo,
    ReferralInfoQuery,
)
from vpnsales.application.interactors.customer.register_customer import (
    RegisterCustomerCommand,
    RegisteredCustomer,
)
from vpnsales.application.interactors.customer.reset_access_link import (
    AccessLinkReset,
    ResetAccessLinkCommand,
)
from vpnsales.application.interactors.customer.set_language import (
    LanguageSet,
    SetLanguageCommand,
)
from vpnsales.application.interactors.customer.toggle_auto_renewal import (
    AutoRenewalToggled,
    ToggleAutoRenewalCommand,
)
from vpnsales.application.interactors.payments.apply_provider_payment import (
    ApplyProviderPaymentCommand,
    ApplyProviderPaymentResult,
)
from vpnsales.application.interactors.payments.confirm_payment import (
    ConfirmPaymentCommand,
    ConfirmPaymentResult,
)
from vpnsales.application.interactors.payments.pay_from_balance import (
    PaidFromBalance,
    PayFromBalanceCommand,
)
from vpnsales.application.interactors.payments.quote_price import QuotePriceQuery, QuoteResult
from vpnsales.application.interactors.payments.record_payment_failure import (
    RecordPaymentFailureCommand,
    RecordPaymentFailureResult,
)
from vpnsales.application.interactors.payments.refund_payment import (
    RefundPaymentCommand,
    RefundPaymentResult,
)
from vpnsales.application.interactors.payments.start_checkout import (
    CheckoutStarted,
    StartCheckoutCommand,
)
from vpnsales.application.interactors.payments.validate_pre_checkout import (
    PreCheckoutVerdict,
    ValidatePreCheckoutQuery,
)
from vpnsales.application.policy import ShopPolicy
from vpnsales.application.ports.notifier import Alert, AlertKind, Recipient
from vpnsales.application.ports.outbox import OutboxKind, OutboxMessage, OutboxStatus
from vpnsales.application.ports.panels import AccountRef, AccountSpec, PanelGroup
from vpnsales.application.ports.payments import PaymentGateway, ProviderPayment
from vpnsales.application.ports.readers import TariffView
from vpnsales.application.ports.telemetry import NO_TELEMETRY, Telemetry
from vpnsales.application.wiring import Interactors, Ports
from vpnsales.domain.access import Access, DesiredState, Observed, ObservedStatus
from vpnsales.domain.customer import Customer
from vpnsales.domain.ids import AccessId, CustomerId, PaymentId, SubscriptionId, TelegramId
from vpnsales.domain.money import Currency, Money
from vpnsales.domain.notifications import Intent, IntentKind
from vpnsales.domain.payment import PaymentProvider
from vpnsales.domain.promo import PromoCode
from vpnsales.domain.tariff import Tariff
from vpnsales.testing.clock import SteerableClock
from vpnsales.testing.fakes import FakePanel, FakePaymentGateway

OutboxRunner = Callable[["InMemoryApp"], Awaitable[int]]


def default_gateways() -> dict[PaymentProvider, FakePaymentGateway]:
    return {
        PaymentProvider.YOOKASSA: FakePaymentGateway(
            PaymentProvider.YOOKASSA, minimum_charge=Money.of(1, Currency.RUB)
        ),
        PaymentProvider.CRYPTOPAY: FakePaymentGateway(PaymentProvider.CRYPTOPAY),
        PaymentProvider.STARS: FakePaymentGateway(
            PaymentProvider.STARS, minimum_charge=Money.of(1, Currency.XTR)
        ),
    }


@dataclass(slots=True, kw_only=True)
class InMemoryApp:
    db: MemoryDatabase
    clock: SteerableClock
    policy: ShopPolicy
    panels: dict[str, FakePanel]
    registry: StaticPanelRegistry
    gateways: dict[PaymentProvider, FakePaymentGateway]
    notifier: RecordingNotifier
    alerter: RecordingAlerter
    kicker: RecordingTaskKicker
    consumer: MemoryOutboxConsumer
    outbox_runner: OutboxRunner | None = None
    """Replaces the built-in simple outbox executor (e.g. the system use cases)."""
    telemetry: Telemetry = NO_TELEMETRY
    """What the use cases report (payments, time to access); nothing by default."""
    extra_ports: dict[str, Any] = field(default_factory=dict)
    extra_factory: Callable[[Ports], dict[str, Any]] | None = None
    """Builds request-scoped extra ports (admin/broadcast repositories) per scope."""

    @property
    def panel(self) -> FakePanel:
        """The first (default) panel."""
        return next(iter(self.panels.values()))

    # -- scopes --------------------------------------------------------------------
    def ports(self, uow: MemoryUnitOfWork | None = None) -> Ports:
        uow = uow or MemoryUnitOfWork(self.db)
        ports = Ports(
            uow=uow,
            customers=MemoryCustomerRepository(uow),
            tariffs=MemoryTariffRepository(uow),
            subscriptions=MemorySubscriptionRepository(uow),
            accesses=MemoryAccessRepository(uow),
            payments=MemoryPaymentRepository(uow),
            promos=MemoryPromoCodeRepository(uow),
            audit=MemoryAuditLog(uow),
            outbox=MemoryOutbox(uow),
            outbox_consumer=self.consumer,
            kicker=self.kicker,
            clock=self.clock,
            policy=self.policy,
            panels=self.registry,
            gateways=dict[PaymentProvider, PaymentGateway](self.gateways),
            notifier=self.notifier,
            alerter=self.alerter,
            subscription_reader=MemorySubscriptionReader(self.db),
            customer_reader=MemoryCustomerReader(self.db),
            catalog=MemoryTariffCatalog(self.db),
            referral_reader=MemoryReferralReader(self.db),
            payment_reader=MemoryPaymentReader(self.db),
            telemetry=self.telemetry,
            extra=dict(self.extra_ports),
        )
        if self.extra_factory is not None:
            ports.extra.update(self.extra_factory(ports))
        return ports

    @contextlib.asynccontextmanager
    async def scope(self) -> AsyncIterator[Ports]:
        """One request: a fresh unit of work, rolled back at exit unless committed."""
        ports = self.ports()
        try:
            yield ports
        finally:
            await ports.uow.rollback()

    async def run(self, build: Callable[[Ports], Any], command: Any) -> Any:
        """Build an interactor from a fresh scope and call it with ``command``."""
        async with self.scope() as ports:
            return await build(ports)(command)

    def interactors(self, ports: Ports) -> Interactors:
        return Interactors(ports)

    async def call(self, use_case: str, command: Any) -> Any:
        """Run ``Interactors(ports).<use_case>()`` with ``command`` in a fresh scope."""
        async with self.scope() as ports:
            interactor = getattr(Interactors(ports), use_case)()
            return await interactor(command)

    # -- customer-facing use cases (keyword arguments → command) ---------------------
    async def register(self, **kw: Any) -> RegisteredCustomer:
        result: RegisteredCustomer = await self.call(
            "register_customer", RegisterCustomerCommand(**kw)
        )
        return result

    async def set_language(self, **kw: Any) -> LanguageSet:
        result: LanguageSet = await self.call("set_language", SetLanguageCommand(**kw))
        return result

    async def list_tariffs(self, **kw: Any) -> list[TariffView]:
        result: list[TariffView] = await self.call("list_tariffs", ListTariffsQuery(**kw))
        return result

    async def get_tariff(self, **kw: Any) -> TariffView:
        result: TariffView = await self.call("get_tariff", GetTariffQuery(**kw))
        return result

    async def activate_trial(self, **kw: Any) -> TrialActivated:
        result: TrialActivated = await self.call("activate_trial", ActivateTrialCommand(**kw))
        return result

    async def redeem_promo(self, **kw: Any) -> PromoRedeemed:
        result: PromoRedeemed = await self.call("redeem_promo_code", RedeemPromoCodeCommand(**kw))
        return result

    async def my_subscriptions(self, *, panel_timeout: float = 2.0, **kw: Any) -> MySubscriptions:
        async with self.scope() as ports:
            interactor = Interactors(ports).my_subscriptions(panel_timeout=panel_timeout)
            return await interactor(MySubscriptionsQuery(**kw))

    async def referral_info(self, **kw: Any) -> ReferralInfo:
        result: ReferralInfo = await self.call("referral_info", ReferralInfoQuery(**kw))
        return result

    async def reset_access_link(self, **kw: Any) -> AccessLinkReset:
        result: AccessLinkReset = await self.call("reset_access_link", ResetAccessLinkCommand(**kw))
        return result

    async def toggle_auto_renewal(self, **kw: Any) -> AutoRenewalToggled:
        result: AutoRenewalToggled = await self.call(
            "toggle_auto_renewal", ToggleAutoRenewalCommand(**kw)
        )
        return result

    # -- payments --------------------------------------------------------------------
    async def quote(self, **kw: Any) -> QuoteResult:
        result: QuoteResult = await self.call("quote_price", QuotePriceQuery(**kw))
        return result

    async def start_checkout(self, **kw: Any) -> CheckoutStarted:
        result: CheckoutStarted = await self.call("start_checkout", StartCheckoutCommand(**kw))
        return result

    async def pay_from_balance(self, **kw: Any) -> PaidFromBalance:
        result: PaidFromBalance = await self.call("pay_from_balance", PayFromBalanceCommand(**kw))
        return result

    async def confirm_payment(self, **kw: Any) -> ConfirmPaymentResult:
        result: ConfirmPaymentResult = await self.call(
            "confirm_payment", ConfirmPaymentCommand(**kw)
        )
        return result

    async def confirm_provider_payment(
        self, fetched: ProviderPayment
    ) -> ApplyProviderPaymentResult:
        """What a webhook does after fetching the payment from the provider."""
        result: ApplyProviderPaymentResult = await self.call(
            "apply_provider_payment", ApplyProviderPaymentCommand(fetched=fetched)
        )
        return result

    async def record_payment_failure(self, **kw: Any) -> RecordPaymentFailureResult:
        result: RecordPaymentFailureResult = await self.call(
            "record_payment_failure", RecordPaymentFailureCommand(**kw)
        )
        return result

    async def validate_pre_checkout(self, **kw: Any) -> PreCheckoutVerdict:
        result: PreCheckoutVerdict = await self.call(
            "validate_pre_checkout", ValidatePreCheckoutQuery(**kw)
        )
        return result

    async def refund(self, **kw: Any) -> RefundPaymentResult:
        result: RefundPaymentResult = await self.call("refund_payment", RefundPaymentCommand(**kw))
        return result

    async def buy(
        self,
        telegram_id: int,
        tariff_code: str,
        days: int = 30,
        *,
        provider: PaymentProvider = PaymentProvider.YOOKASSA,
        **kw: Any,
    ) -> ConfirmPaymentResult:
        """Checkout + the provider's success + confirmation, in one call."""
        checkout = await self.start_checkout(
            telegram_id=telegram_id, tariff_code=tariff_code, days=days, provider=provider, **kw
        )
        paid = self.gateways[provider].succeed(checkout.payment_id)
        return await self.confirm_payment(
            provider=provider,
            provider_payment_id=paid.provider_payment_id,
            amount=paid.amount,
        )

    # -- seeding (each its own committed transaction) -------------------------------
    async def add_tariff(self, tariff: Tariff) -> Tariff:
        async with self.scope() as p:
            await p.tariffs.add(tariff)
            await p.uow.commit()
        return tariff

    async def add_promo(self, promo: PromoCode) -> PromoCode:
        async with self.scope() as p:
            await p.promos.add(promo)
            await p.uow.commit()
        return promo

    async def add_customer(self, customer: Customer) -> Customer:
        async with self.scope() as p:
            await p.customers.add(customer)
            await p.uow.commit()
        return customer

    # -- committed state, for assertions (private copies) ---------------------------
    async def customer(self, ref: CustomerId | UUID | int) -> Customer:
        async with self.scope() as p:
            found = (
                await p.customers.get_by_telegram_id(TelegramId(ref))
                if isinstance(ref, int)
                else await p.customers.get(CustomerId(ref))
            )
        assert found is not None, f"no customer {ref}"
        return found

    async def get(self, table: str, key: Any) -> Any:
        async with self.scope() as p:
            assert isinstance(p.uow, MemoryUnitOfWork)
            await p.uow.begin()
            return p.uow.get(table, key)

    def rows(self, table: str) -> list[Any]:
        return list(self.db.tables[table].values())

    def outbox(
        self, kind: OutboxKind | None = None, status: OutboxStatus | None = None
    ) -> list[OutboxMessage]:
        return [
            m
            for m in self.db.outbox_messages()
            if (kind is None or m.kind is kind) and (status is None or m.status is status)
        ]

    async def run_outbox(self) -> int:
        """Execute every due outbox message (repeating while new ones appear) with the
        worker's use cases (``testing.worker``). Failures are retried later by the
        outbox's backoff: advance the clock and call again."""
        if self.outbox_runner is not None:
            return await self.outbox_runner(self)
        from vpnsales.testing.worker import system_outbox_runner

        return await system_outbox_runner(self)


def build_in_memory_app(
    *,
    policy: ShopPolicy | None = None,
    clock: SteerableClock | None = None,
    panels: Sequence[FakePanel] | None = None,
    groups: Sequence[PanelGroup] = (),
    gateways: Mapping[PaymentProvider, FakePaymentGateway] | None = None,
    outbox_runner: OutboxRunner | None = None,
    telemetry: Telemetry = NO_TELEMETRY,
    **policy_overrides: Any,
) -> InMemoryApp:
    """Everything in memory. ``policy_overrides`` replace fields of the default policy
    (``build_in_memory_app(refund_mode=RefundMode.SUSPEND)``)."""
    policy = policy or ShopPolicy()
    if policy_overrides:
        policy = dataclasses.replace(policy, **policy_overrides)
    db = MemoryDatabase()
    fake_panels = list(panels) if panels is not None else [FakePanel("panel-1")]
    return InMemoryApp(
        db=db,
        clock=clock or SteerableClock(),
        policy=policy,
        panels={str(p.panel_id): p for p in fake_panels},
        registry=StaticPanelRegistry(fake_panels, groups),
        gateways=dict(gateways) if gateways is not None else default_gateways(),
        notifier=RecordingNotifier(),
        alerter=RecordingAlerter(),
        kicker=RecordingTaskKicker(),
        consumer=MemoryOutboxConsumer(db),
        outbox_runner=outbox_runner,
        telemetry=telemetry,
    )


async def simple_outbox_runner(app: InMemoryApp) -> int:
    """A small stand-alone executor (no worker use cases): failures are rescheduled one
    minute later. ``build_in_memory_app(outbox_runner=simple_outbox_runner)``."""
    return await _SimpleOutboxExecutor(app).drain(10)


class _SimpleOutboxExecutor:
    """A small, test-only executor of outbox messages."""

    def __init__(self, app: InMemoryApp) -> None:
        self.app = app

    async def drain(self, rounds: int) -> int:
        app = self.app
        executed = 0
        for _ in range(rounds):
            now = app.clock.now()
            messages = await app.consumer.claim(now, limit=1000, lease=timedelta(minutes=2))
            if not messages:
                break
            for message in messages:
                try:
                    await self.execute(message)
                except Exception as exc:
                    await app.consumer.retry_later(
                        message.id,
                        error=f"{type(exc).__name__}: {exc}",
                        due_at=now + timedelta(minutes=1),
                    )
                else:
                    await app.consumer.complete(message.id)
                executed += 1
        return executed

    async def execute(self, message: OutboxMessage) -> None:
        kind = message.kind
        if kind is OutboxKind.SYNC_ACCESS:
            await self._sync(AccessId(UUID(str(message.payload["access_id"]))))
        elif kind is OutboxKind.REVOKE_ACCESS:
            await self._revoke(AccessId(UUID(str(message.payload["access_id"]))))
        elif kind is OutboxKind.NOTIFY:
            await self._notify(message.payload)
        elif kind is OutboxKind.ADMIN_ALERT:
            await self.app.alerter.alert(
                Alert(kind=AlertKind(message.payload["kind"]), text=str(message.payload["text"]))
            )
        elif kind is OutboxKind.PROVIDER_REFUND:
            await self._refund(message.payload)
        elif kind is OutboxKind.PROVIDER_CANCEL:
            await self._cancel(message.payload)
        elif kind is OutboxKind.SEND_MESSAGE:
            customer = await self.app.customer(UUID(str(message.payload["customer_id"])))
            await self.app.notifier.send_text(
                Recipient(telegram_id=customer.telegram_id, language=customer.language),
                str(message.payload["text"]),
            )

    async def _load(self, access_id: AccessId) -> tuple[Access, Any, Customer | None]:
        async with self.app.scope() as p:
            access = await p.accesses.get(access_id)
            assert access is not None, f"no access {access_id}"
            sub = await p.subscriptions.get(access.subscription_id)
            customer = await p.customers.get(access.customer_id)
        return access, sub, customer

    async def _sync(self, access_id: AccessId) -> None:
        access, sub, customer = await self._load(access_id)
        panel = self.app.registry.get(access.panel_id)
        ref = AccountRef(access.username, access.external_id)
        now = self.app.clock.now()
        try:
            if access.desired is DesiredState.DELETED:
                await panel.delete(ref)
                external, url, observed = (
                    access.external_id,
                    None,
                    Observed(status=ObservedStatus.ABSENT, at=now),
                )
            else:
                spec = AccountSpec(
                    username=access.username,
                    expires_at=sub.expires_at,
                    enabled=access.desired is DesiredState.ENABLED,
                    traffic=sub.traffic,
                    devices=sub.devices,
                    telegram_id=customer.telegram_id if customer else None,
                    squads=sub.binding.squads,
                    inbounds=sub.binding.inbounds,
                    client_uuid=access.id,
                    sub_id=access.id.hex[:16],
                )
                state = await panel.ensure_account(spec, ref)
                external, url = state.external_id, state.subscription_url
                observed = Observed(
                    status=ObservedStatus(state.status.value.lower()),
                    at=now,
                    expires_at=state.expires_at,
                    used_traffic_bytes=state.used_traffic_bytes,
                    devices=state.devices,
                )
        except Exception as exc:
            async with self.app.scope() as p:
                fresh = await p.accesses.get(access_id, for_update=True)
                if fresh is not None:
                    fresh.mark_failed(f"{type(exc).__name__}: {exc}")
                    await p.accesses.save(fresh)
                    await p.uow.commit()
            raise
        async with self.app.scope() as p:
            fresh = await p.accesses.get(access_id, for_update=True)
            assert fresh is not None
            was_ready = fresh.is_ready
            fresh.mark_synced(
                version=access.version,
                external_id=external,
                subscription_url=url,
                observed=observed,
            )
            await p.accesses.save(fresh)
            if fresh.is_ready and not was_ready:  # the card replaces a pending receipt
                await p.outbox.withdraw(receipt_key(fresh.subscription_id), now)
            await p.uow.commit()
        if fresh.is_ready and not was_ready and customer is not None:
            await self.app.notifier.notify(
                Recipient(telegram_id=customer.telegram_id, language=customer.language),
                Intent(
                    kind=IntentKind.ACCESS_READY,
                    customer_id=customer.id,
                    subscription_id=SubscriptionId(access.subscription_id),
                ),
            )

    async def _revoke(self, access_id: AccessId) -> None:
        access, _, _ = await self._load(access_id)
        panel = self.app.registry.get(access.panel_id)
        state = await panel.revoke(AccountRef(access.username, access.external_id))
        async with self.app.scope() as p:
            fresh = await p.accesses.get(access_id, for_update=True)
            assert fresh is not None
            fresh.subscription_url = state.subscription_url
            await p.accesses.save(fresh)
            await p.uow.commit()

    async def _notify(self, payload: Mapping[str, Any]) -> None:
        customer = await self.app.customer(UUID(str(payload["customer_id"])))
        amount = None
        if "amount" in payload:
            amount = Money.exact(str(payload["amount"]), Currency(str(payload["currency"])))
        intent = Intent(
            kind=IntentKind(payload["kind"]),
            customer_id=customer.id,
            subscription_id=_opt(payload, "subscription_id", SubscriptionId),
            payment_id=_opt(payload, "payment_id", PaymentId),
            hours=payload.get("hours"),
            percent=payload.get("percent"),
            days=payload.get("days"),
            amount=amount,
            reason=payload.get("reason"),
        )
        await self.app.notifier.notify(
            Recipient(telegram_id=customer.telegram_id, language=customer.language), intent
        )

    async def _payment(self, payload: Mapping[str, Any]) -> Any:
        async with self.app.scope() as p:
            return await p.payments.get(PaymentId(UUID(str(payload["payment_id"]))))

    async def _refund(self, payload: Mapping[str, Any]) -> None:
        payment = await self._payment(payload)
        gateway = self.app.gateways[payment.provider]
        await gateway.refund(
            payment.provider_payment_id,
            payment.confirmed_amount or payment.amount,
            idempotency_key=f"refund-{payment.id}",
        )

    async def _cancel(self, payload: Mapping[str, Any]) -> None:
        payment = await self._payment(payload)
        if payment.provider_payment_id:
            await self.app.gateways[payment.provider].cancel(payment.provider_payment_id)


def _opt(payload: Mapping[str, Any], key: str, kind: Callable[[UUID], Any]) -> Any:
    value = payload.get(key)
    return None if value is None else kind(UUID(str(value)))
