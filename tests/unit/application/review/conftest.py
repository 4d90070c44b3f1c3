"""Review helpers: build any use case from one in-memory scope by constructor names."""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any
from uuid import uuid4

import pytest

from vpnsales.adapters.memory import MemoryUnitOfWork
from vpnsales.adapters.memory.admin import MemoryAdminRepository
from vpnsales.application.interactors.payments.confirm_payment import ConfirmPayment
from vpnsales.application.interactors.payments.refund_payment import RefundPayment
from vpnsales.application.interactors.system._confirmer import ConfirmPaymentSeam
from vpnsales.application.ports.admin import Admin, AdminRole
from vpnsales.application.wiring import Ports
from vpnsales.domain.customer import BalanceReason
from vpnsales.domain.ids import TelegramId
from vpnsales.domain.money import Money
from vpnsales.domain.payment import PaymentProvider
from vpnsales.testing.app import InMemoryApp, build_in_memory_app
from vpnsales.testing.builders import a_tariff, an_option

OWNER = 9001
TG = TelegramId(1001)
YK = PaymentProvider.YOOKASSA


def _build(cls: type, ports: Ports) -> Any:
    assert isinstance(ports.uow, MemoryUnitOfWork)
    found: dict[str, Any] = {f.name: getattr(ports, f.name) for f in dataclasses.fields(ports)}
    params = inspect.signature(cls).parameters
    if "admins" in params:
        found["admins"] = MemoryAdminRepository(ports.uow)
    if "refund" in params:
        found["refund"] = _build(RefundPayment, ports)
    if "confirmer" in params:
        found["confirmer"] = ConfirmPaymentSeam(_build(ConfirmPayment, ports))
    return cls(**{name: found[name] for name in params if name in found})


async def run(app: InMemoryApp, cls: type, command: Any) -> Any:
    async with app.scope() as ports:
        return await _build(cls, ports)(command)


async def make_app(**overrides: Any) -> InMemoryApp:
    app = build_in_memory_app(**overrides)
    await app.add_tariff(
        a_tariff(code="basic", options=(an_option(30, rub=300), an_option(90, rub=800)))
    )
    async with app.scope() as ports:
        assert isinstance(ports.uow, MemoryUnitOfWork)
        await MemoryAdminRepository(ports.uow).add(
            Admin(telegram_id=OWNER, role=AdminRole.OWNER, added_at=app.clock.now())
        )
        await ports.uow.commit()
    return app


@pytest.fixture
async def app() -> InMemoryApp:
    return await make_app()


async def credit(app: InMemoryApp, telegram_id: int, amount: Money) -> None:
    async with app.scope() as p:
        found = await p.customers.get_by_telegram_id(TelegramId(telegram_id), for_update=True)
        assert found is not None
        found.credit(amount, BalanceReason.ADMIN_GRANT, app.clock.now(), entry_id=uuid4())
        await p.customers.save(found)
        await p.uow.commit()
