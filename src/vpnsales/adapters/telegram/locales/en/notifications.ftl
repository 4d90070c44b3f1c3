## Notifications sent by the worker (one per intent kind; see notifier.py).
## Dates are in UTC and say so.

notify-expiring-soon =
    ⏳ Your VPN subscription ends <b>{ $when }</b>, on { $date }.

    Renew now so your connection doesn't stop. The new period is added to the end of the current one, so renewing early costs you nothing.
notify-expiring-soon-nodate =
    ⏳ Your VPN subscription ends <b>{ $when }</b>.

    Renew now so your connection doesn't stop. The new period is added to the end of the current one, so renewing early costs you nothing.
notify-expired =
    ⌛ Your VPN subscription ended on { $date }, and the connection is paused.

    Renew it and the VPN will work again within seconds. Same link, nothing to set up again.
notify-expired-nodate =
    ⌛ Your VPN subscription has ended, and the connection is paused.

    Renew it and the VPN will work again within seconds. Same link, nothing to set up again.

notify-access-ready =
    ✅ <b>Your VPN is ready!</b>
    Plan: { $tariff }, until { $date }

    🔗 Your subscription link (tap to copy):
    <code>{ $url }</code>

    { $steps }
notify-access-ready-nocard = ✅ <b>Your VPN is ready!</b> Open <b>My subscriptions</b> for your link, QR code and setup instructions.
notify-reactivated =
    🔄 <b>Your VPN is active again!</b>
    Plan: { $tariff }, until { $date }

    Devices you've already set up will reconnect on their own. For a new device, here's your link (tap to copy):
    <code>{ $url }</code>

    { $steps }
notify-reactivated-nocard = 🔄 <b>Your VPN is active again</b> until { $date }. Everything works as before, no settings to change.
notify-reactivated-nodate = 🔄 <b>Your VPN is active again.</b> Everything works as before, no settings to change.
guide-short =
    1. Install a VPN app for your device (buttons below).
    2. Scan this QR code in the app, or copy the link and add it from the clipboard.
    3. Tap Connect.

notify-payment-received = 💳 Payment of { $amount } received, thank you! We're preparing your VPN access. It takes a few seconds.
notify-payment-received-noamount = 💳 Payment received, thank you! We're preparing your VPN access. It takes a few seconds.
notify-payment-failed =
    ❌ <b>The payment didn't go through.</b>
    { $reason }

    You can try again or choose another payment method.
notify-refunded = ↩️ We've refunded { $amount }. Depending on your bank or payment method, it may take a few days to arrive.
notify-refunded-noamount = ↩️ Your payment has been refunded. Depending on your bank or payment method, it may take a few days to arrive.
notify-referral-reward-money = 🎉 A friend you invited has made a purchase, and you've earned { $amount }! It's already on your balance.
notify-referral-reward-days = 🎉 A friend you invited has made a purchase: +{ days-count } added to your subscription!
notify-referral-reward = 🎉 You've received a reward for inviting a friend. Thank you for recommending us!
notify-traffic-threshold = 📶 You've used { $percent }% of the traffic included in your plan. When it runs out, the VPN pauses until the next reset. Need more? Switch to a plan with more traffic.
notify-traffic-exhausted = 📶 You've used all the traffic included in your plan, so the VPN is paused until the traffic resets. Switch to a plan with more traffic to continue right away.
notify-auto-renewal-failed =
    ⚠️ <b>We couldn't renew your subscription automatically.</b>
    { $reason }

    Your subscription is active until { $date }. Please renew it manually so your VPN doesn't stop.
notify-auto-renewal-failed-nodate =
    ⚠️ <b>We couldn't renew your subscription automatically.</b>
    { $reason }

    Please renew it manually so your VPN doesn't stop.
notify-days-granted = 🎁 Good news: +{ days-count } added to your subscription! It's now active until <b>{ $date }</b>.
notify-days-granted-nodate = 🎁 Good news: +{ days-count } added to your subscription!
notify-balance-credited = 💰 { $amount } has been added to your balance.
notify-balance-credited-reason = 💰 { $amount } has been added to your balance ({ $reason }).
notify-balance-credited-noamount = 💰 Your balance has been topped up.
notify-days-granted-nodays = 🎁 Good news: your subscription has been extended until <b>{ $date }</b>!
notify-days-granted-bare = 🎁 Good news: extra days have been added to your subscription!
