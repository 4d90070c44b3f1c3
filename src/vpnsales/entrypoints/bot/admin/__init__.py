"""The admin panel inside the bot: statistics with a revenue chart, tariffs, promo codes,
customers, broadcasts, maintenance mode and panel health — for admins only.

``build_admin_router()`` is included by the bot's ``build_dispatcher`` before the customer
routers; non-admins fall through it silently.
"""

from vpnsales.entrypoints.bot.admin.access import AdminRoster, IsAdmin
from vpnsales.entrypoints.bot.admin.routers import build_admin_router

__all__ = ["AdminRoster", "IsAdmin", "build_admin_router"]
