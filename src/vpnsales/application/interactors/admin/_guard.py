"""Role checks and audit helpers shared by the admin use cases."""

from __future__ import annotations

from enum import StrEnum

from vpnsales.application.ports.admin import Admin, AdminRepository, AdminRole
from vpnsales.domain.errors import PermissionDenied
from vpnsales.domain.ids import TelegramId


class Permission(StrEnum):
    FIND_CUSTOMER = "find_customer"
    VIEW_CUSTOMER = "view_customer"
    RESYNC = "resync"
    MESSAGE_CUSTOMER = "message_customer"
    BAN = "ban"
    EDIT_TARIFFS = "edit_tariffs"
    EDIT_PROMOS = "edit_promos"
    VIEW_PROMOS = "view_promos"
    REFUND = "refund"
    GRANT_DAYS = "grant_days"
    BROADCAST = "broadcast"
    MAINTENANCE = "maintenance"
    STATISTICS = "statistics"
    MANAGE_ADMINS = "manage_admins"


SUPPORT_PERMISSIONS = frozenset(
    {
        Permission.FIND_CUSTOMER,
        Permission.VIEW_CUSTOMER,
        Permission.RESYNC,
        Permission.MESSAGE_CUSTOMER,
    }
)

ROLE_PERMISSIONS: dict[AdminRole, frozenset[Permission]] = {
    AdminRole.OWNER: frozenset(Permission),
    AdminRole.SUPPORT: SUPPORT_PERMISSIONS,
}

SYSTEM_ACTOR = 0
"""Audit actor for trusted callers without a Telegram identity (the CLI)."""


def can(role: AdminRole, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]


async def authorize(
    admins: AdminRepository, actor: TelegramId | int, permission: Permission
) -> Admin:
    """The acting admin, or ``PermissionDenied`` (not an admin, or role too weak)."""
    admin = await admins.get(int(actor))
    if admin is None:
        raise PermissionDenied(f"{actor} is not an admin")
    if not can(admin.role, permission):
        raise PermissionDenied(f"{admin.role} may not {permission}")
    return admin
