"""Helpers shared by the worker's use cases (not use cases themselves)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID

from vpnsales.application.ports.outbox import OutboxMessage
from vpnsales.application.ports.panels import AccountSpec, AccountState, PanelAccountStatus
from vpnsales.application.ports.repositories import PromoCodeRepository
from vpnsales.application.ports.worker import PermanentFailure
from vpnsales.domain.access import Access, DesiredState, Observed, ObservedStatus
from vpnsales.domain.customer import Customer
from vpnsales.domain.ids import AccessId, CustomerId, PaymentId, SubscriptionId
from vpnsales.domain.money import Currency, Money
from vpnsales.domain.notifications import Intent, IntentKind
from vpnsales.domain.payment import Payment
from vpnsales.domain.subscription import Subscription

T = TypeVar("T")

EXPIRY_TOLERANCE = timedelta(minutes=1)
"""Panels round expiry dates; closer than this counts as equal."""

_STATUS = {
    PanelAccountStatus.ACTIVE: ObservedStatus.ACTIVE,
    PanelAccountStatus.DISABLED: ObservedStatus.DISABLED,
    PanelAccountStatus.LIMITED: ObservedStatus.LIMITED,
    PanelAccountStatus.EXPIRED: ObservedStatus.EXPIRED,
}


def sub_id_for(access: Access) -> str:
    """Stable 3x-UI ``subId`` derived from the access: a re-created account keeps its link."""
    return access.id.hex[:16]


def account_spec(
    access: Access, subscription: Subscription, customer: Customer | None
) -> AccountSpec:
    """What the access's panel account must look like (desired state → panel terms)."""
    return AccountSpec(
        username=access.username,
        expires_at=subscription.expires_at,
        enabled=access.desired is DesiredState.ENABLED,
        traffic=subscription.traffic,
        devices=subscription.devices,
        telegram_id=customer.telegram_id if customer is not None else None,
        description=f"vpnsales {subscription.customer_id} {subscription.id}",
        squads=subscription.binding.squads,
        inbounds=subscription.binding.inbounds,
        client_uuid=access.id,
        sub_id=sub_id_for(access),
    )


def observed_from(state: AccountState, now: datetime) -> Observed:
    return Observed(
        status=_STATUS[state.status],
        at=now,
        expires_at=state.expires_at,
        used_traffic_bytes=state.used_traffic_bytes,
        last_online_at=state.last_online_at,
        devices=state.devices,
    )


def absent(now: datetime) -> Observed:
    return Observed(status=ObservedStatus.ABSENT, at=now)


def spec_differs(spec: AccountSpec, state: AccountState) -> bool:
    """The account was edited on the panel (expiry or traffic limit no longer ours).

    The expiry of an account that should be disabled is not compared: panels refuse a
    past expiry on update (the Remnawave adapter keeps the old one), and a disabled
    account does not work whatever its expiry says."""
    if state.traffic_limit_bytes != spec.traffic.bytes:
        return True
    if not spec.enabled:
        return False
    if state.expires_at is None:
        return True
    return abs(state.expires_at - spec.expires_at) > EXPIRY_TOLERANCE


def payload_uuid(message: OutboxMessage | Mapping[str, Any], key: str) -> UUID:
    payload = message.payload if isinstance(message, OutboxMessage) else message
    try:
        return UUID(str(payload[key]))
    except (KeyError, ValueError) as exc:
        raise PermanentFailure(f"payload has no valid {key}") from exc


def intent_from_payload(payload: Mapping[str, Any]) -> Intent:
    """Inverse of ``common.intent_to_payload``."""
    try:
        amount: Money | None = None
        if "amount" in payload:
            amount = Money.exact(str(payload["amount"]), Currency(str(payload["currency"])))
        return Intent(
            kind=IntentKind(payload["kind"]),
            customer_id=CustomerId(UUID(str(payload["customer_id"]))),
            subscription_id=_opt_uuid(payload, "subscription_id", SubscriptionId),
            payment_id=_opt_uuid(payload, "payment_id", PaymentId),
            hours=_opt_int(payload, "hours"),
            percent=_opt_int(payload, "percent"),
            days=_opt_int(payload, "days"),
            amount=amount,
            reason=str(payload["reason"]) if "reason" in payload else None,
            access_id=_opt_uuid(payload, "access_id", AccessId),
            expires_at=(
                datetime.fromisoformat(str(payload["expires_at"]))
                if "expires_at" in payload
                else None
            ),
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise PermanentFailure(f"malformed notification payload: {exc}") from exc


def _opt_uuid(payload: Mapping[str, Any], key: str, kind: Callable[[UUID], T]) -> T | None:
    if key not in payload or payload[key] is None:
        return None
    return kind(UUID(str(payload[key])))


def _opt_int(payload: Mapping[str, Any], key: str) -> int | None:
    value = payload.get(key)
    return None if value is None else int(value)


async def release_promo(promos: PromoCodeRepository, payment: Payment) -> bool:
    """Give back the promo use reserved for ``payment`` (it will never complete)."""
    code = payment.quote.promo_code
    if not code:
        return False
    promo = await promos.get_by_code(code, for_update=True)
    if promo is None:
        return False
    if not await promos.remove_redemption(promo.id, payment.id):
        return False
    promo.release()
    await promos.save(promo)
    return True


def is_retryable(error: BaseException) -> bool:
    """Infrastructure errors are retried; business errors and bad payloads are not."""
    if isinstance(error, TimeoutError | OSError):
        return True
    return bool(getattr(error, "retryable", False))
