## Start, main menu and service messages.

start-welcome =
    👋 Hi, { $name }!

    Here you can get a fast, reliable VPN in a minute. Pay by card, with Telegram Stars or in crypto, and your connection is ready right away, with a QR code and step-by-step setup for your device.
start-welcome-referred =
    👋 Hi, { $name }!

    You've joined with a friend's invitation, so your first purchase comes with a bonus. Pay by card, with Telegram Stars or in crypto, and your connection is ready right away.

menu-no-subscription =
    <b>🏠 Main menu</b>

    You don't have a subscription yet. Choose a plan, and your VPN will be ready within seconds after payment.
menu-no-subscription-trial =
    <b>🏠 Main menu</b>

    You don't have a subscription yet. Choose a plan, or try the VPN free for { days-count }.
menu-active =
    <b>🏠 Main menu</b>

    ✅ Your plan <b>{ $tariff }</b> is active until <b>{ $date }</b> ({ $left } left).
menu-active-many =
    <b>🏠 Main menu</b>

    ✅ Active subscriptions: { $count }. The next one ends on <b>{ $date }</b>.
menu-expired =
    <b>🏠 Main menu</b>

    ⌛ Your plan <b>{ $tariff }</b> ended on <b>{ $date }</b>. Renew it and the VPN works again within seconds, with the same link and settings.
menu-suspended =
    <b>🏠 Main menu</b>

    ⏸ Your subscription is suspended. If you have any questions, please contact support.

language-choose = 🌐 Choose your language:
language-switched = ✅ Done! I'll speak English from now on.

maintenance = 🛠 The bot is down for maintenance. We'll be back shortly. Your VPN keeps working as usual.
throttled = ⏳ That was a bit too fast. Please wait a second and try again.
banned = 🚫 Access to this bot is restricted. If you think this is a mistake, please contact support.
error-generic = ⚠️ Something went wrong (ID: <code>{ $id }</code>). Please try again in a minute. If it happens again, write to support and mention this ID.
temporarily-unavailable = ⏳ This is temporarily unavailable. Please try again in a minute.
action-cancelled = Cancelled.
loading = ⏳ Just a moment…
unknown-input = I didn't understand that. Please use the buttons below.
