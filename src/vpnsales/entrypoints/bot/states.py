"""FSM states (kept in Redis). Only free-text input needs a state."""

from aiogram.fsm.state import State, StatesGroup

PROMO_KEY = "promo"
"""FSM data: the promo code the customer applied to their next order."""
ORDER_KEY = "order"
"""FSM data: the packed ``Order`` a promo code is being entered for."""


class PromoEntry(StatesGroup):
    redeem = State()
    """Typing a promo code from the menu."""
    checkout = State()
    """Typing a promo code for the order in ``ORDER_KEY``."""
