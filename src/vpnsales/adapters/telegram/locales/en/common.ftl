## Counts, units and labels shared by every screen.
## Variables are snake_case; numbers passed as integers select the plural form.

days-count = { $days ->
    [one] { $days } day
   *[other] { $days } days
}
hours-count = { $hours ->
    [one] { $hours } hour
   *[other] { $hours } hours
}
minutes-count = { $minutes ->
    [one] { $minutes } minute
   *[other] { $minutes } minutes
}
months-count = { $months ->
    [one] { $months } month
   *[other] { $months } months
}
years-count = { $years ->
    [one] { $years } year
   *[other] { $years } years
}
devices-count = { $devices ->
    [one] { $devices } device
   *[other] { $devices } devices
}
people-count = { $count ->
    [one] { $count } friend
   *[other] { $count } friends
}
locations-count = { $count ->
    [one] { $count } location
   *[other] { $count } locations
}
devices-unlimited = unlimited devices

traffic-unlimited = unlimited
unit-gb = { $amount } GB
unit-mb = { $amount } MB
traffic-per-day = { $amount } per day
traffic-per-week = { $amount } per week
traffic-per-month = { $amount } per month
traffic-used-of = { $used } of { $limit }
traffic-used-unlimited = { $used } (unlimited)

when-soon = very soon
when-in-hours = { $hours ->
    [1] in an hour
   *[other] in { $hours } hours
}
when-tomorrow = tomorrow
when-in-days = in { days-count }
time-left-less-than-day = less than a day

status-active = ✅ active
status-expired = ⌛ expired
status-suspended = ⏸ suspended
status-cancelled = ✖️ cancelled

provider-yookassa = Bank card
provider-stars = Telegram Stars
provider-cryptopay = Crypto
provider-balance = Balance

language-name-ru = 🇷🇺 Русский
language-name-en = 🇬🇧 English

platform-ios = iPhone and iPad
platform-android = Android
platform-windows = Windows
platform-macos = macOS
platform-linux = Linux

balance-reason-referral-reward = referral reward
balance-reason-refund = refund
balance-reason-purchase = subscription purchase
balance-reason-top-up = top-up
balance-reason-promo-credit = promo code
balance-reason-admin-grant = bonus from the shop
balance-reason-admin-debit = correction by the shop

payment-failed-reason-declined = Your bank declined the payment.
payment-failed-reason-insufficient-funds = There weren't enough funds on the card.
payment-failed-reason-expired = The payment wasn't completed in time.
payment-failed-reason-canceled-by-customer = You cancelled the payment.
payment-failed-reason-canceled-by-merchant = The payment was cancelled by the shop.
payment-failed-reason-fraud-suspected = The bank's security system blocked the payment.
payment-failed-reason-authentication-failed = The 3-D Secure confirmation didn't succeed.
payment-failed-reason-card-expired = The card has expired.
payment-failed-reason-unknown = The payment service didn't tell us why.

## Argument conventions: counts ($days, $months, $devices, $count, $percent) are
## integers and the text picks the plural; dates, money, traffic and periods arrive
## preformatted by formatting.py ($date, $amount, $price, $traffic, $period, $left).
