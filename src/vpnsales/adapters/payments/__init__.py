"""Payment provider adapters: YooKassa, Crypto Pay (and Telegram Stars in ``stars``).

Each gateway implements a port from :mod:`vpnsales.application.ports.payments`;
:mod:`.webhooks` holds the pure webhook-authenticity helpers and parsers.
"""

from vpnsales.adapters.payments._http import RetryPolicy
from vpnsales.adapters.payments.cryptopay import CryptoPayConfig, CryptoPayGateway
from vpnsales.adapters.payments.yookassa import (
    YooKassaConfig,
    YooKassaGateway,
    YooKassaReceiptDefaults,
)

__all__ = [
    "CryptoPayConfig",
    "CryptoPayGateway",
    "RetryPolicy",
    "YooKassaConfig",
    "YooKassaGateway",
    "YooKassaReceiptDefaults",
]
