"""Property: whatever customers do with a limited promo code (checkouts that fail at the
provider, cancelled and confirmed payments), its use count equals its redemptions and
never exceeds its limit."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from vpnsales.domain.errors import DomainError
from vpnsales.domain.ids import TelegramId
from vpnsales.domain.payment import PaymentStatus
from vpnsales.testing.builders import a_promo

from .conftest import YK, customer, make_shop

ACTIONS = st.tuples(
    st.sampled_from(["checkout", "checkout_gateway_down", "cancel_last", "confirm_last"]),
    st.integers(min_value=1, max_value=3),
)


async def _scenario(actions: list[tuple[str, int]], concurrent: bool, max_uses: int) -> None:
    app = await make_shop()
    for tg in (1, 2, 3):
        await customer(app, tg)
    await app.add_promo(a_promo("LIMITED", max_uses=max_uses, max_uses_per_customer=2))
    last: dict[int, Any] = {}

    async def act(name: str, tg: int) -> None:
        try:
            if name.startswith("checkout"):
                if name == "checkout_gateway_down":
                    app.gateways[YK].fail_next()
                last[tg] = await app.start_checkout(
                    telegram_id=TelegramId(tg),
                    tariff_code="basic",
                    days=30,
                    provider=YK,
                    promo_code="LIMITED",
                )
            elif tg in last and name == "cancel_last":
                await app.record_payment_failure(provider=YK, payment_id=last[tg].payment_id)
            elif tg in last:
                await app.confirm_payment(
                    provider=YK, payment_id=last[tg].payment_id, amount=last[tg].quote.total
                )
        except DomainError:
            pass

    if concurrent:
        await asyncio.gather(*(act(n, tg) for n, tg in actions))
    else:
        for n, tg in actions:
            await act(n, tg)

    async with app.scope() as p:
        promo = await p.promos.get_by_code("LIMITED")
    assert promo is not None
    redemptions = app.rows("redemptions")
    assert promo.uses == len(redemptions) <= max_uses
    held = {r.payment_id for r in redemptions}
    for payment in app.rows("payments"):
        live = payment.status in (PaymentStatus.PENDING, PaymentStatus.SUCCEEDED)
        assert (payment.id in held) == live


@settings(max_examples=50, deadline=None)
@given(
    actions=st.lists(ACTIONS, min_size=1, max_size=10),
    concurrent=st.booleans(),
    max_uses=st.integers(min_value=1, max_value=3),
)
def test_promo_uses_always_match_live_reservations(
    actions: list[tuple[str, int]], concurrent: bool, max_uses: int
) -> None:
    asyncio.run(_scenario(actions, concurrent, max_uses))
