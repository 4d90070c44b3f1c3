## Числа, единицы и подписи, общие для всех экранов.
## Переменные в snake_case; целые числа выбирают форму множественного числа.

days-count = { $days ->
    [one] { $days } день
    [few] { $days } дня
   *[many] { $days } дней
}
hours-count = { $hours ->
    [one] { $hours } час
    [few] { $hours } часа
   *[many] { $hours } часов
}
minutes-count = { $minutes ->
    [one] { $minutes } минуту
    [few] { $minutes } минуты
   *[many] { $minutes } минут
}
months-count = { $months ->
    [one] { $months } месяц
    [few] { $months } месяца
   *[many] { $months } месяцев
}
years-count = { $years ->
    [one] { $years } год
    [few] { $years } года
   *[many] { $years } лет
}
devices-count = { $devices ->
    [one] { $devices } устройство
    [few] { $devices } устройства
   *[many] { $devices } устройств
}
people-count = { $count ->
    [one] { $count } друг
    [few] { $count } друга
   *[many] { $count } друзей
}
locations-count = { $count ->
    [one] { $count } локация
    [few] { $count } локации
   *[many] { $count } локаций
}
devices-unlimited = без ограничения устройств

traffic-unlimited = безлимит
unit-gb = { $amount } ГБ
unit-mb = { $amount } МБ
traffic-per-day = { $amount } в сутки
traffic-per-week = { $amount } в неделю
traffic-per-month = { $amount } в месяц
traffic-used-of = { $used } из { $limit }
traffic-used-unlimited = { $used } (безлимит)

when-soon = совсем скоро
when-in-hours = { $hours ->
    [1] через час
   *[other] через { hours-count }
}
when-tomorrow = завтра
when-in-days = через { days-count }
time-left-less-than-day = меньше суток

status-active = ✅ активна
status-expired = ⌛ истекла
status-suspended = ⏸ приостановлена
status-cancelled = ✖️ отменена

provider-yookassa = Банковская карта
provider-stars = Telegram Stars
provider-cryptopay = Криптовалюта
provider-balance = Баланс

language-name-ru = 🇷🇺 Русский
language-name-en = 🇬🇧 English

platform-ios = iPhone и iPad
platform-android = Android
platform-windows = Windows
platform-macos = macOS
platform-linux = Linux

balance-reason-referral-reward = бонус за приглашение
balance-reason-refund = возврат
balance-reason-purchase = оплата подписки
balance-reason-top-up = пополнение
balance-reason-promo-credit = промокод
balance-reason-admin-grant = подарок от магазина
balance-reason-admin-debit = корректировка магазином

payment-failed-reason-declined = Банк отклонил платёж.
payment-failed-reason-insufficient-funds = На карте недостаточно средств.
payment-failed-reason-expired = Время на оплату истекло.
payment-failed-reason-canceled-by-customer = Вы отменили платёж.
payment-failed-reason-canceled-by-merchant = Платёж отменён магазином.
payment-failed-reason-fraud-suspected = Платёж заблокирован системой безопасности банка.
payment-failed-reason-authentication-failed = Не удалось подтвердить платёж через 3-D Secure.
payment-failed-reason-card-expired = Срок действия карты истёк.
payment-failed-reason-unknown = Платёжный сервис не сообщил причину.

## Соглашение об аргументах: количества ($days, $months, $devices, $count, $percent)
## передаются целыми числами, форму слова выбирает текст; даты, суммы, трафик и сроки
## приходят уже отформатированными из formatting.py ($date, $amount, $price, $traffic,
## $period, $left).
