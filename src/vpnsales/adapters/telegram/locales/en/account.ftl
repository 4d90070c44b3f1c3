## My subscriptions, plan change, referral programme, balance and support.

subs-title = <b>🔑 My subscriptions</b>
subs-empty = You don't have any subscriptions yet. Choose a plan or try the VPN for free. It only takes a minute.
sub-card =
    <b>{ $tariff }</b>: { $status }
    📅 { $expiry }
    📶 Traffic: { $traffic }
    📱 Devices: { $devices }
sub-expires = Active until { $date } ({ $left } left)
sub-expired-on = Ended on { $date }
sub-suspended-note = Your subscription is suspended. Please contact support if you have questions.
sub-cancelled-note = This subscription has been cancelled.
sub-devices-used = { $used } of { $limit }
sub-live-unavailable = ℹ️ Live usage data is temporarily unavailable. The numbers will update shortly.
sub-auto-renew-on = 🔁 Auto-renewal is on: next charge of { $amount } on { $date }.
sub-auto-renew-off = Auto-renewal is off.
auto-renew-enabled = ✅ Auto-renewal is on. We'll remind you before each charge, and you can turn it off at any time.
auto-renew-disabled = Auto-renewal is off. Your subscription stays active until { $date }.

sub-link =
    🔗 Your subscription link (tap to copy):
    <code>{ $url }</code>

    Add it to your VPN app, or scan the QR code.
sub-qr-caption = 📷 Scan this QR code in your VPN app to add the subscription.

reset-link-confirm =
    <b>♻️ Reset your link?</b>

    You'll get a new subscription link, and the old one will stop working immediately, so you'll need to add the new link on each of your devices. Do this if someone else has got hold of your link.
reset-link-done =
    ✅ Done! Here's your new link:
    <code>{ $url }</code>

    Update it in the VPN app on each of your devices.
bot-reset-link-queued =
    ♻️ Your link is being reset. The old one stops working in a moment.

    The new link will be ready in <b>My subscriptions</b> within a minute; add it on each of your devices.

plan-change-choose =
    <b>⬆️ Change plan</b>

    Choose the new plan. The time left on your current plan carries over, converted by value.
plan-change-preview =
    <b>From { $from } to { $to }</b>

    You have { $remaining } left on your current plan. By value, that's <b>{ $converted }</b> on { $to }, so your subscription will run until <b>{ $date }</b>.
plan-change-extra-payment = To switch, pay { $amount }.
plan-change-done = ✅ Your plan is now <b>{ $tariff }</b>, active until { $date }. Your link stays the same.

referral-page =
    <b>👥 Invite friends</b>

    { $terms }

    🔗 Your personal link:
    <code>{ $link }</code>

    Friends invited: <b>{ $invited }</b>
    Earned: <b>{ $earned }</b>
referral-terms-percent = You get { $percent }% of every payment your friends make, credited to your balance.
referral-terms-days = You get { days-count } of VPN for each friend's first purchase.
referral-terms-friend-discount = Your friends get { $percent }% off their first purchase.
referral-earned-none = nothing yet
referral-share-text = I use this VPN and it works great. Join with my link: { $link }

balance-page =
    <b>💰 Your balance: { $balance }</b>

    You can pay for subscriptions with your balance, fully or in part.
balance-history-title = <b>📜 Balance history</b>
balance-history-empty = No transactions yet.
balance-history-line = { $date } · <b>{ $amount }</b> · { $reason }
balance-topup-choose = How much would you like to top up?
balance-topup-prompt = Enter an amount from { $min } to { $max }:
balance-topup-invalid = Please enter a whole number from { $min } to { $max }.
balance-topup-done = ✅ Your balance has been topped up by { $amount }.

support-page =
    <b>💬 Support</b>

    Have a question, or something isn't working? Write to { $contact } and we'll help. We usually reply within a few hours.

    Many answers are already in the FAQ.
faq-title = <b>❓ Frequently asked questions</b>
faq-connect-q = How do I connect?
faq-connect-a = Open <b>My subscriptions</b>, choose your device and follow the three steps: install the app, add your link (or scan the QR code), tap Connect.
faq-not-working-q = The VPN isn't working. What should I do?
faq-not-working-a = First, make sure your subscription is active in <b>My subscriptions</b>. Then refresh the subscription in the app (pull down the server list or tap “Update”), and try another server. Still no luck? Write to support and tell us your device and app.
faq-devices-q = How many devices can I use?
faq-devices-a = As many as your plan allows, as shown in the plan's description. Use the same link on every device.
faq-renew-q = How do I renew?
faq-renew-a = Tap <b>Renew</b> in the menu or in a reminder. The new period starts when the current one ends, so renewing early costs you no days. Your link stays the same.
faq-traffic-q = What happens when my traffic runs out?
faq-traffic-a = The VPN pauses until the traffic resets at the start of the next period. If you need more, switch to a plan with more traffic.
faq-link-q = Someone else is using my link. What should I do?
faq-link-a = Open <b>My subscriptions</b> and tap <b>Reset link</b>. The old link stops working immediately; add the new one on your devices.
faq-payment-q = How can I pay?
faq-payment-a = By bank card (Visa, Mastercard, Mir, SBP), with Telegram Stars or in cryptocurrency. Your VPN is activated automatically right after payment.
faq-refund-q = Can I get a refund?
faq-refund-a = If the VPN doesn't work for you and we can't fix it, write to support and we'll sort it out. A refund goes back to the payment method you used.
