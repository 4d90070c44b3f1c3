"""Public test kit: use the application without a database, panels or providers.

* ``testing.app.build_in_memory_app()`` — the whole application in memory, one call;
  every use case runs in its own unit of work (``app.register(...)``, ``app.buy(...)``,
  ``app.run_outbox()``); ``async with app.scope() as ports`` for anything else.
* ``testing.fakes`` — ``FakePanel`` (a ``VpnPanel``), ``FakePaymentGateway`` per provider,
  ``RecordingNotifier``, ``RecordingAlerter``.
* ``testing.builders`` — ``a_customer``, ``a_tariff``, ``a_trial_tariff``,
  ``a_subscription``, ``a_promo`` with sensible defaults and keyword overrides.
* ``testing.clock.SteerableClock`` — ``advance(days=…)`` / ``set(moment)``.
* ``testing.emulators`` — HTTP emulators of Telegram, Remnawave, 3x-UI, YooKassa,
  CryptoPay for integration tests.
"""
