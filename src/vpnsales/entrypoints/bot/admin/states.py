"""FSM states of the admin panel's free-text forms (kept in Redis with the bot's FSM)."""

from aiogram.fsm.state import State, StatesGroup

TARIFF_KEY = "adm_tariff"
"""FSM data: ``short_id`` of the tariff being edited."""
FIELD_KEY = "adm_field"
"""FSM data: the ``TariffField`` being edited."""
KIND_KEY = "adm_kind"
"""FSM data: the promo kind being created."""
CUSTOMER_KEY = "adm_customer"
"""FSM data: the Telegram id of the customer an action is for."""
ACTION_KEY = "adm_action"
"""FSM data: the ``CustomerAction`` waiting for its text (days, message)."""
DRAFT_KEY = "adm_draft"
"""FSM data: the broadcast being composed (text, photo, button, audience)."""


class TariffForm(StatesGroup):
    create = State()
    """Waiting for the whole new tariff spec."""
    edit = State()
    """Waiting for the new value of ``FIELD_KEY`` of ``TARIFF_KEY``."""


class PromoForm(StatesGroup):
    create = State()


class CustomerForm(StatesGroup):
    find = State()
    """Waiting for a Telegram id or @username."""
    value = State()
    """Waiting for the text of ``ACTION_KEY`` (days to grant/take, a message)."""


class BroadcastForm(StatesGroup):
    text = State()
    """Waiting for the text (or a photo with a caption)."""
    button = State()
    """Waiting for ``Button text | https://url`` (or skip)."""
    audience = State()
    """Choosing the audience with buttons."""
