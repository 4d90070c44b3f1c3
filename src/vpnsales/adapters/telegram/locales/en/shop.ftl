## Catalog, checkout, payments, promo codes and the free trial.

catalog-title =
    <b>🛒 Choose a plan</b>

    All plans include fast servers and apps for iPhone, Android, Windows, macOS and Linux.
catalog-empty = There are no plans available right now. Please check back a little later.

tariff-card =
    <b>{ $name }</b>
    { $description }

    { $details }
tariff-line-traffic = 📶 Traffic: { $traffic }
tariff-line-devices = 📱 Devices at once: { $devices }
tariff-line-devices-unlimited = 📱 Devices: unlimited
tariff-line-locations = 🌍 Locations: { $locations }
tariff-line-price-from = 💰 From { $price } per month
tariff-price-period = { $price } for { $period }
tariff-price-per-month = { $price }/month
tariff-unavailable = This plan is no longer available. Please choose another one.

duration-choose =
    <b>{ $tariff }</b>

    Choose the period. The longer it is, the less you pay per month.
duration-line = { $period }: <b>{ $price }</b> ({ $monthly }/month)
duration-line-saving = { $period }: <b>{ $price }</b> ({ $monthly }/month, save { $percent }%)

payment-method-choose =
    <b>💳 How would you like to pay?</b>

    { $summary }
method-card-hint = Visa, Mastercard, Mir and SBP, via YooKassa.
method-stars-hint = Pay with Telegram Stars without leaving Telegram.
method-crypto-hint = USDT, TON, BTC and other coins, via Crypto Bot.
method-balance-hint = Pay with the money on your balance.

checkout-title = <b>🧾 Your order</b>
checkout-item = { $tariff }, { $period }
checkout-base = Price: { $amount }
checkout-promo-discount = Promo code <code>{ $code }</code>: −{ $amount }
checkout-referral-discount = Invitation discount: −{ $amount }
checkout-balance-used = From your balance: −{ $amount }
checkout-bonus-days = Bonus: +{ days-count }
checkout-total = <b>To pay: { $amount }</b>
checkout-total-free = <b>Nothing to pay</b>: your balance covers the whole order.
checkout-min-charge = The amount has been raised to { $amount }, the minimum this payment method accepts.
checkout-renewal-note = The new period starts when the current one ends, so you lose no days by renewing early.
checkout-pay-link =
    Tap <b>Pay</b> to open the secure payment page. The link is valid for { minutes-count }.

    Your VPN will be activated automatically as soon as the payment goes through.
checkout-pay-stars = Tap <b>Pay</b> on the invoice below. Your VPN will be activated right after payment.
checkout-pay-crypto =
    Tap <b>Pay</b> to open the invoice in Crypto Bot. The invoice is valid for { minutes-count }.

    Your VPN will be activated automatically once the payment is confirmed.
checkout-waiting = ⏳ Waiting for your payment…
checkout-not-paid-yet = We haven't received the payment yet. If you've just paid, please give it a minute. We'll message you as soon as it arrives.
checkout-cancelled = The order has been cancelled. Nothing was charged.
checkout-paid-from-balance = ✅ Paid from your balance. Preparing your VPN…

invoice-title = VPN { $tariff }, { $period }
invoice-description = VPN access on the { $tariff } plan for { $period }. Your connection details arrive in this chat right after payment.
invoice-label = { $tariff }, { $period }
invoice-top-up-title = Balance top-up
invoice-top-up-description = Top up your balance by { $amount }.

precheckout-payment-unknown = We couldn't find this order. Please start the purchase again from the menu. You haven't been charged.
precheckout-expired = This invoice has expired. Please create a new one from the menu. You haven't been charged.
precheckout-tariff-unavailable = This plan is no longer available. Please choose another one. You haven't been charged.
precheckout-price-changed = The price has changed since this invoice was created. Please create a new one. You haven't been charged.

promo-enter =
    🏷 Send your promo code in a message.

    A code consists of Latin letters, digits, hyphens and underscores.
promo-applied-percent = ✅ Promo code <code>{ $code }</code> applied: { $percent }% off.
promo-applied-fixed = ✅ Promo code <code>{ $code }</code> applied: { $amount } off.
promo-applied-days = ✅ Promo code <code>{ $code }</code> applied: +{ days-count } to your subscription.
promo-applied-trial-extension = ✅ Promo code <code>{ $code }</code> applied: your free trial is extended by { days-count }.
promo-applied-balance = ✅ Promo code <code>{ $code }</code> applied: { $amount } added to your balance.
promo-removed = The promo code has been removed from your order.

trial-offer =
    <b>🎁 Try it free</b>

    { days-count } of VPN with no payment: { $traffic }, { $devices }. One free trial per person.
trial-activated = 🎉 Your free trial has started and runs until <b>{ $date }</b>. Your connection details are on their way.
trial-already-used = You've already used your free trial. Choose a plan to keep using the VPN.
trial-unavailable = The free trial isn't available at the moment.
