"""Hand-written fakes of the outside world: a VPN panel and payment gateways.

They implement the real ports, record every call, fail on demand and let a test play the
provider's part (``gateway.succeed(payment_id)``, ``panel.drop_account(username)``).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from vpnsales.adapters.memory.notifier import Delivery, RecordingAlerter, RecordingNotifier
from vpnsales.application.ports.panels import (
    AccountNotFound,
    AccountRef,
    AccountSpec,
    AccountState,
    CircuitState,
    PanelAccountStatus,
    PanelHealth,
    PanelUnavailable,
)
from vpnsales.application.ports.payments import (
    CheckoutRequest,
    CheckoutResult,
    FailureReason,
    PaymentGatewayError,
    PaymentGatewayRejected,
    PaymentGatewayUnavailable,
    ProviderPayment,
    ProviderPaymentNotFound,
    ProviderStatus,
    RefundResult,
)
from vpnsales.domain.ids import PanelId, PaymentId
from vpnsales.domain.money import Money
from vpnsales.domain.payment import PaymentProvider

__all__ = [
    "Delivery",
    "FakeAccount",
    "FakePanel",
    "FakePaymentGateway",
    "PanelCall",
    "RecordingAlerter",
    "RecordingNotifier",
]


# -- panel ---------------------------------------------------------------------------


@dataclass(slots=True)
class PanelCall:
    method: str
    username: str | None = None
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class FakeAccount:
    external_id: str
    username: str
    status: PanelAccountStatus
    expires_at: datetime | None
    traffic_limit_bytes: int
    token: str
    spec: AccountSpec
    used_traffic_bytes: int = 0
    devices: int | None = None
    last_online_at: datetime | None = None


class FakePanel:
    """Implements ``VpnPanel`` in memory.

    * ``fail_next(n, exc)`` — the next ``n`` calls raise ``exc`` (``PanelUnavailable``);
    * ``down = True`` — every call raises ``PanelUnavailable`` until cleared;
    * ``hang = True`` — calls wait until ``release()`` (exercise timeouts);
    * ``calls`` — every call in order (including failed ones).
    """

    MUTATING = frozenset(
        {"ensure_account", "enable", "disable", "set_expiry", "reset_traffic", "revoke", "delete"}
    )

    def __init__(
        self, panel_id: str = "panel-1", *, sub_base_url: str = "https://sub.example"
    ) -> None:
        self._panel_id = PanelId(panel_id)
        self.sub_base_url = sub_base_url.rstrip("/")
        self.accounts: dict[str, FakeAccount] = {}
        self.calls: list[PanelCall] = []
        self.down = False
        self.hang = False
        self._released = asyncio.Event()
        self._failures: list[Exception] = []

    # -- test controls ---------------------------------------------------------------
    def fail_next(self, n: int = 1, exc: Exception | None = None) -> None:
        for _ in range(n):
            self._failures.append(exc or PanelUnavailable("injected", panel_id=self._panel_id))

    def release(self) -> None:
        self.hang = False
        self._released.set()

    def account(self, username: str) -> FakeAccount | None:
        return self.accounts.get(username)

    def drop_account(self, username: str) -> None:
        """Someone deleted the account on the panel (drift)."""
        self.accounts.pop(username, None)

    def set_usage(
        self,
        username: str,
        *,
        used_bytes: int | None = None,
        devices: int | None = None,
        last_online_at: datetime | None = None,
    ) -> None:
        acc = self.accounts[username]
        if used_bytes is not None:
            acc.used_traffic_bytes = used_bytes
            if acc.traffic_limit_bytes and used_bytes >= acc.traffic_limit_bytes:
                acc.status = PanelAccountStatus.LIMITED
        if devices is not None:
            acc.devices = devices
        if last_online_at is not None:
            acc.last_online_at = last_online_at

    def set_status(self, username: str, status: PanelAccountStatus) -> None:
        self.accounts[username].status = status

    def calls_of(self, method: str) -> list[PanelCall]:
        return [c for c in self.calls if c.method == method]

    @property
    def mutating_calls(self) -> list[PanelCall]:
        return [c for c in self.calls if c.method in self.MUTATING]

    # -- port ------------------------------------------------------------------------
    @property
    def panel_id(self) -> PanelId:
        return self._panel_id

    async def _enter(self, method: str, username: str | None = None, **args: Any) -> None:
        self.calls.append(PanelCall(method, username, dict(args)))
        if self.hang:
            self._released.clear()
            await self._released.wait()
        if self.down:
            raise PanelUnavailable("panel is down", panel_id=self._panel_id)
        if self._failures:
            raise self._failures.pop(0)

    def _find(self, ref: AccountRef) -> FakeAccount | None:
        if ref.external_id is not None:
            for acc in self.accounts.values():
                if acc.external_id == ref.external_id:
                    return acc
        return self.accounts.get(ref.username)

    def _require(self, ref: AccountRef) -> FakeAccount:
        acc = self._find(ref)
        if acc is None:
            raise AccountNotFound(f"no account {ref.username}", panel_id=self._panel_id)
        return acc

    def _state(self, acc: FakeAccount) -> AccountState:
        return AccountState(
            external_id=acc.external_id,
            username=acc.username,
            status=acc.status,
            expires_at=acc.expires_at,
            traffic_limit_bytes=acc.traffic_limit_bytes,
            used_traffic_bytes=acc.used_traffic_bytes,
            last_online_at=acc.last_online_at,
            devices=acc.devices,
            subscription_url=f"{self.sub_base_url}/{self._panel_id}/{acc.token}",
        )

    async def ensure_account(
        self, spec: AccountSpec, ref: AccountRef | None = None
    ) -> AccountState:
        await self._enter("ensure_account", spec.username, enabled=spec.enabled)
        acc = self._find(ref or AccountRef(spec.username))
        status = PanelAccountStatus.ACTIVE if spec.enabled else PanelAccountStatus.DISABLED
        if acc is None:
            external = str(spec.client_uuid or uuid4())
            acc = FakeAccount(
                external_id=external,
                username=spec.username,
                status=status,
                expires_at=spec.expires_at,
                traffic_limit_bytes=spec.traffic.bytes,
                token=spec.sub_id or uuid4().hex[:16],
                spec=spec,
            )
            self.accounts[spec.username] = acc
        else:
            acc.status = status
            acc.expires_at = spec.expires_at
            acc.traffic_limit_bytes = spec.traffic.bytes
            acc.spec = spec
        return self._state(acc)

    async def enable(self, ref: AccountRef) -> None:
        await self._enter("enable", ref.username)
        self._require(ref).status = PanelAccountStatus.ACTIVE

    async def disable(self, ref: AccountRef) -> None:
        await self._enter("disable", ref.username)
        self._require(ref).status = PanelAccountStatus.DISABLED

    async def set_expiry(self, ref: AccountRef, expires_at: datetime) -> None:
        await self._enter("set_expiry", ref.username, expires_at=expires_at)
        self._require(ref).expires_at = expires_at

    async def reset_traffic(self, ref: AccountRef) -> None:
        await self._enter("reset_traffic", ref.username)
        acc = self._require(ref)
        acc.used_traffic_bytes = 0
        if acc.status is PanelAccountStatus.LIMITED:
            acc.status = PanelAccountStatus.ACTIVE

    async def revoke(self, ref: AccountRef) -> AccountState:
        await self._enter("revoke", ref.username)
        acc = self._require(ref)
        acc.token = uuid4().hex[:16]
        return self._state(acc)

    async def delete(self, ref: AccountRef) -> None:
        await self._enter("delete", ref.username)
        acc = self._find(ref)
        if acc is not None:
            del self.accounts[acc.username]

    async def get_state(self, ref: AccountRef) -> AccountState | None:
        await self._enter("get_state", ref.username)
        acc = self._find(ref)
        return None if acc is None else self._state(acc)

    async def list_accounts(self) -> Sequence[AccountState]:
        await self._enter("list_accounts")
        return [self._state(a) for a in self.accounts.values()]

    async def health(self) -> PanelHealth:
        reachable = not self.down
        return PanelHealth(
            panel_id=self._panel_id,
            reachable=reachable,
            circuit=CircuitState.CLOSED if reachable else CircuitState.OPEN,
            latency_ms=1.0 if reachable else None,
            accounts=len(self.accounts),
            error=None if reachable else "down",
        )


# -- payments ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RefundCall:
    provider_payment_id: str
    amount: Money
    idempotency_key: str


class FakePaymentGateway:
    """Implements ``RecurringPaymentGateway`` for one provider.

    The test plays the provider: ``succeed(ref)``, ``decline(ref)``, ``expire(ref)``,
    ``set_amount(ref, money)`` change what ``fetch`` reports; ``ref`` is our payment id
    or the provider's id. ``fail_next(n, exc)`` / ``down`` make calls fail.
    """

    def __init__(
        self,
        provider: PaymentProvider,
        *,
        minimum_charge: Money | None = None,
        pay_url_base: str = "https://pay.example",
    ) -> None:
        self._provider = provider
        self._minimum = minimum_charge
        self.pay_url_base = pay_url_base.rstrip("/")
        self.created: list[CheckoutRequest] = []
        self.payments: dict[str, ProviderPayment] = {}
        self.refunds: list[RefundCall] = []
        self.cancels: list[str] = []
        self.saved_charges: list[tuple[str, CheckoutRequest]] = []
        self.declined_methods: set[str] = set()
        self.down = False
        self._failures: list[Exception] = []
        self._ids = itertools.count(1)
        self._by_ours: dict[PaymentId, str] = {}

    # -- test controls ---------------------------------------------------------------
    def fail_next(self, n: int = 1, exc: PaymentGatewayError | None = None) -> None:
        for _ in range(n):
            self._failures.append(exc or PaymentGatewayUnavailable("injected failure"))

    def provider_id(self, ref: PaymentId | UUID | str) -> str:
        if isinstance(ref, str):
            return ref
        return self._by_ours[PaymentId(ref)]

    def state(self, ref: PaymentId | UUID | str) -> ProviderPayment:
        return self.payments[self.provider_id(ref)]

    def _set(self, ref: PaymentId | UUID | str, **changes: Any) -> ProviderPayment:
        pid = self.provider_id(ref)
        updated = replace(self.payments[pid], **changes)
        self.payments[pid] = updated
        return updated

    def succeed(
        self,
        ref: PaymentId | UUID | str,
        *,
        amount: Money | None = None,
        saved_method_id: str | None = None,
        paid_at: datetime | None = None,
    ) -> ProviderPayment:
        """The customer paid (``amount`` overrides what the provider reports)."""
        changes: dict[str, Any] = {
            "status": ProviderStatus.SUCCEEDED,
            "saved_method_id": saved_method_id,
            "paid_at": paid_at,
            "raw_status": "succeeded",
        }
        if amount is not None:
            changes["amount"] = amount
        return self._set(ref, **changes)

    def set_amount(self, ref: PaymentId | UUID | str, amount: Money) -> ProviderPayment:
        return self._set(ref, amount=amount)

    def decline(
        self, ref: PaymentId | UUID | str, reason: FailureReason = FailureReason.DECLINED
    ) -> ProviderPayment:
        return self._set(ref, status=ProviderStatus.CANCELED, failure_reason=reason)

    def expire(self, ref: PaymentId | UUID | str) -> ProviderPayment:
        return self._set(ref, status=ProviderStatus.EXPIRED, failure_reason=FailureReason.EXPIRED)

    def refund_at_provider(self, ref: PaymentId | UUID | str) -> ProviderPayment:
        current = self.state(ref)
        return self._set(ref, status=ProviderStatus.REFUNDED, refunded_amount=current.amount)

    # -- port ------------------------------------------------------------------------
    @property
    def provider(self) -> PaymentProvider:
        return self._provider

    @property
    def minimum_charge(self) -> Money | None:
        return self._minimum

    def _enter(self) -> None:
        if self.down:
            raise PaymentGatewayUnavailable(f"{self._provider} is down")
        if self._failures:
            raise self._failures.pop(0)

    async def create(self, request: CheckoutRequest) -> CheckoutResult:
        self._enter()
        self.created.append(request)
        existing = self._by_ours.get(request.payment_id)
        if existing is not None:  # idempotency key: same payment, same answer
            return CheckoutResult(
                provider_payment_id=existing, pay_url=f"{self.pay_url_base}/{existing}"
            )
        pid = f"{self._provider.value}-{next(self._ids)}"
        self._by_ours[request.payment_id] = pid
        self.payments[pid] = ProviderPayment(
            provider=self._provider,
            provider_payment_id=pid,
            status=ProviderStatus.PENDING,
            amount=request.amount,
            payment_id=request.payment_id,
            raw_status="pending",
        )
        return CheckoutResult(provider_payment_id=pid, pay_url=f"{self.pay_url_base}/{pid}")

    async def fetch(self, provider_payment_id: str) -> ProviderPayment:
        self._enter()
        try:
            return self.payments[provider_payment_id]
        except KeyError:
            raise ProviderPaymentNotFound(provider_payment_id) from None

    async def cancel(self, provider_payment_id: str) -> ProviderPayment:
        self._enter()
        self.cancels.append(provider_payment_id)
        current = await self.fetch(provider_payment_id)
        if current.status is ProviderStatus.PENDING:
            return self._set(
                provider_payment_id,
                status=ProviderStatus.CANCELED,
                failure_reason=FailureReason.CANCELED_BY_MERCHANT,
            )
        return current

    async def refund(
        self, provider_payment_id: str, amount: Money, *, idempotency_key: str
    ) -> RefundResult:
        self._enter()
        current = await self.fetch(provider_payment_id)
        if current.status not in (ProviderStatus.SUCCEEDED, ProviderStatus.REFUNDED):
            raise PaymentGatewayRejected("only a succeeded payment can be refunded")
        if not any(r.idempotency_key == idempotency_key for r in self.refunds):
            self.refunds.append(RefundCall(provider_payment_id, amount, idempotency_key))
            self._set(provider_payment_id, status=ProviderStatus.REFUNDED, refunded_amount=amount)
        return RefundResult(
            provider_refund_id=f"refund-{idempotency_key}", succeeded=True, amount=amount
        )

    async def charge_saved(self, method_id: str, request: CheckoutRequest) -> ProviderPayment:
        self._enter()
        self.saved_charges.append((method_id, request))
        await self.create(request)
        if method_id in self.declined_methods:
            return self.decline(request.payment_id)
        return self.succeed(request.payment_id, saved_method_id=method_id)
