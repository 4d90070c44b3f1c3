"""JSON-compatible pictures of aggregates for audit records (before/after)."""

from __future__ import annotations

from vpnsales.domain.customer import Customer
from vpnsales.domain.payment import Payment
from vpnsales.domain.promo import PromoCode
from vpnsales.domain.subscription import Subscription
from vpnsales.domain.tariff import Tariff


def tariff_snapshot(tariff: Tariff) -> dict[str, object]:
    return {
        "code": tariff.code,
        "names": {str(k): v for k, v in tariff.names.items()},
        "options": [
            {"days": o.days, "prices": {str(c): str(m.amount) for c, m in o.prices.items()}}
            for o in tariff.options
        ],
        "traffic_bytes": tariff.traffic.bytes,
        "traffic_reset": tariff.traffic.reset.value,
        "devices": tariff.devices.count,
        "panel": str(tariff.binding.panel),
        "squads": list(tariff.binding.squads),
        "inbounds": list(tariff.binding.inbounds),
        "availability": tariff.availability.value,
        "order": tariff.order,
        "active": tariff.active,
        "is_trial": tariff.is_trial,
    }


def promo_snapshot(promo: PromoCode) -> dict[str, object]:
    return {
        "code": promo.code,
        "kind": promo.kind.value,
        "percent": str(promo.percent) if promo.percent is not None else None,
        "amount": str(promo.amount) if promo.amount is not None else None,
        "days": promo.days,
        "valid_from": promo.valid_from.isoformat() if promo.valid_from else None,
        "valid_until": promo.valid_until.isoformat() if promo.valid_until else None,
        "max_uses": promo.max_uses,
        "max_uses_per_customer": promo.max_uses_per_customer,
        "uses": promo.uses,
        "first_purchase_only": promo.first_purchase_only,
        "allowed_tariffs": sorted(str(t) for t in promo.allowed_tariffs)
        if promo.allowed_tariffs is not None
        else None,
        "active": promo.active,
    }


def subscription_snapshot(subscription: Subscription) -> dict[str, object]:
    return {
        "id": str(subscription.id),
        "status": subscription.status.value,
        "expires_at": subscription.expires_at.isoformat(),
    }


def customer_snapshot(customer: Customer) -> dict[str, object]:
    return {
        "telegram_id": customer.telegram_id,
        "banned": customer.banned,
        "balance": str(customer.balance),
    }


def payment_snapshot(payment: Payment) -> dict[str, object]:
    return {
        "id": str(payment.id),
        "status": payment.status.value,
        "provider": payment.provider.value,
        "amount": str(payment.amount),
    }
