"""Routers per feature, in the order the dispatcher tries them (fallback last)."""

from aiogram import Router

from vpnsales.entrypoints.bot.routers import (
    balance,
    catalog,
    fallback,
    language,
    menu,
    notices,
    payments,
    promo,
    referral,
    start,
    subscriptions,
    support,
    trial,
)


def feature_routers() -> list[Router]:
    return [
        payments.build(),
        start.build(),
        menu.build(),
        catalog.build(),
        subscriptions.build(),
        trial.build(),
        promo.build(),
        referral.build(),
        balance.build(),
        support.build(),
        language.build(),
        notices.build(),
        fallback.build(),
    ]


__all__ = ["feature_routers"]
