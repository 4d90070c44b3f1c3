"""Fixtures: the YooKassa and Crypto Pay emulators over real HTTP, gateways pointed at
them, a controllable clock and a sleep that records delays instead of waiting."""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from vpnsales.adapters.payments import (
    CryptoPayConfig,
    CryptoPayGateway,
    RetryPolicy,
    YooKassaConfig,
    YooKassaGateway,
    YooKassaReceiptDefaults,
)
from vpnsales.application.ports.payments import CheckoutRequest, ReceiptSpec
from vpnsales.domain.ids import PaymentId
from vpnsales.domain.money import Currency, Money
from vpnsales.testing.emulators.cryptopay import CryptoPayEmulator
from vpnsales.testing.emulators.yookassa import YooKassaEmulator

pytestmark = pytest.mark.integration


@dataclass
class ManualClock:
    now: datetime = field(default_factory=lambda: datetime(2026, 11, 22, 12, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@dataclass
class RecordingSleep:
    """Injected instead of ``asyncio.sleep``: records the delay, returns at once."""

    delays: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
def retry() -> RetryPolicy:
    return RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05, max_server_delay=5.0)


@pytest.fixture
async def yookassa(clock: ManualClock) -> AsyncIterator[YooKassaEmulator]:
    async with YooKassaEmulator(clock=clock) as emulator:
        yield emulator


@pytest.fixture
def yookassa_config(yookassa: YooKassaEmulator, retry: RetryPolicy) -> YooKassaConfig:
    return YooKassaConfig(
        shop_id=yookassa.shop_id,
        secret_key=yookassa.secret_key,
        return_url="https://t.me/vpnsales_bot",
        api_base=f"{yookassa.base_url}/v3",
        retry=retry,
        receipt=YooKassaReceiptDefaults(vat_code=6),
    )


@pytest.fixture
async def yookassa_gateway(
    yookassa_config: YooKassaConfig, sleep: RecordingSleep
) -> AsyncIterator[YooKassaGateway]:
    async with YooKassaGateway(yookassa_config, sleep=sleep, rng=random.Random(7)) as gateway:
        yield gateway


@pytest.fixture
async def cryptopay(clock: ManualClock) -> AsyncIterator[CryptoPayEmulator]:
    async with CryptoPayEmulator(clock=clock) as emulator:
        yield emulator


@pytest.fixture
def cryptopay_config(cryptopay: CryptoPayEmulator, retry: RetryPolicy) -> CryptoPayConfig:
    return CryptoPayConfig(
        token=cryptopay.token,
        api_base=f"{cryptopay.base_url}/api",
        accepted_assets=("USDT", "TON", "BTC"),
        retry=retry,
    )


@pytest.fixture
async def cryptopay_gateway(
    cryptopay_config: CryptoPayConfig, sleep: RecordingSleep
) -> AsyncIterator[CryptoPayGateway]:
    async with CryptoPayGateway(cryptopay_config, sleep=sleep, rng=random.Random(7)) as gateway:
        yield gateway


CheckoutFactory = Callable[..., CheckoutRequest]


@pytest.fixture
def checkout() -> CheckoutFactory:
    def build(
        amount: str | Decimal = "199",
        currency: Currency = Currency.RUB,
        *,
        payment_id: PaymentId | None = None,
        save_payment_method: bool = False,
        receipt: ReceiptSpec | None = None,
        expires_in_seconds: int = 3600,
        description: str = "VPN, 30 days",
    ) -> CheckoutRequest:
        return CheckoutRequest(
            payment_id=payment_id or PaymentId(uuid.uuid4()),
            amount=Money.of(amount, currency),
            description=description,
            telegram_id=424242,
            save_payment_method=save_payment_method,
            receipt=receipt,
            expires_in_seconds=expires_in_seconds,
        )

    return build
