"""Identifiers of the domain. Plain ``NewType`` wrappers: cheap, typed, comparable."""

from __future__ import annotations

from typing import NewType
from uuid import UUID

CustomerId = NewType("CustomerId", UUID)
TelegramId = NewType("TelegramId", int)
TariffId = NewType("TariffId", UUID)
SubscriptionId = NewType("SubscriptionId", UUID)
AccessId = NewType("AccessId", UUID)
PaymentId = NewType("PaymentId", UUID)
PromoCodeId = NewType("PromoCodeId", UUID)
BroadcastId = NewType("BroadcastId", UUID)
PanelId = NewType("PanelId", str)
"""A configured panel (or 3x-UI server group) name, e.g. ``"rw-main"``."""
