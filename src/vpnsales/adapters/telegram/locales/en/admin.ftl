## The admin panel (owners and support staff) and the customer side of the support desk.

adm-btn-back = ⬅️ Back
adm-btn-cancel = ✖️ Cancel
adm-btn-stats = 📊 Statistics
adm-btn-tariffs = 🗂 Tariffs
adm-btn-promos = 🏷 Promo codes
adm-btn-find = 🔎 Find customer
adm-btn-broadcast = 📣 Broadcast
adm-btn-maintenance = 🛠 Maintenance
adm-btn-panels = 🩺 Panels
adm-btn-new-tariff = ➕ New tariff
adm-btn-hide = 🙈 Hide from sale
adm-btn-show = 👁 Put on sale
adm-btn-card = 📇 Open card
adm-btn-deactivate = ⛔ Deactivate { $code }
adm-btn-new-promo = ➕ { $kind }
adm-btn-ban = 🚫 Ban
adm-btn-unban = ✅ Unban
adm-btn-grant = ➕ Days
adm-btn-take = ➖ Days
adm-btn-resync = 🔄 Resync access
adm-btn-message = ✉️ Message
adm-btn-refund = ↩️ Refund { $amount } of { $date }
adm-btn-confirm = ✅ Confirm
adm-btn-topic = 💬 Support topic
adm-btn-topic-close = 🔒 Close topic
adm-btn-topic-reopen = 🔓 Reopen topic
adm-btn-skip = ⏭ No button
adm-btn-preview = 👁 Preview and confirm
adm-btn-start-broadcast = 🚀 Send now
adm-btn-discard = 🗑 Discard
adm-btn-refresh = 🔄 Refresh
adm-btn-stop = ⏹ Stop
adm-btn-on = 🛠 Turn on
adm-btn-off = ✅ Turn off

adm-role-owner = owner
adm-role-support = support
adm-yes = yes
adm-no = no

adm-menu =
    <b>🛡 Admin panel</b>
    Your role: { $role }
adm-denied = 🚫 Your role does not allow this.
adm-invalid = ⚠️ { $detail }
adm-not-found = 🔍 Not found: { $what }
adm-unchanged = Nothing to change.
adm-done = ✅ Done.

adm-stats =
    <b>📊 Statistics</b> · { $at } UTC

    <b>👥 Customers:</b> { $total }
    new: today { $today } · 7 days { $week } · 30 days { $month }

    <b>🔑 Subscriptions:</b> active { $active } · trial { $trial } · expired { $expired } · suspended { $suspended }

    <b>💰 Revenue</b>
    today: { $rev_today }
    7 days: { $rev_week }
    30 days: { $rev_month }

    <b>🛒 Conversion</b> ({ $window } d): { $paid } of { $started } paid ({ $conversion })
    <b>📉 Churn</b> ({ $window } d): { $churned } of { $base } ({ $churn })

adm-tariffs = <b>🗂 Tariffs</b> ({ $count }). 🙈 = hidden from sale.
adm-tariff-card =
    <b>{ $name }</b> · <code>{ $code }</code> · { $state }
    Names: { $names }
    Descriptions: { $descriptions }
    Options:
    { $options }
    Traffic: { $traffic } · devices: { $devices }
    Panel: { $panel }
    Availability: { $availability } · order: { $order }

    Edits apply to new purchases only: periods already paid keep their terms.
adm-tariff-visible = on sale
adm-tariff-hidden = hidden
adm-tariff-new =
    <b>➕ New tariff</b>
    Send the tariff as <code>key: value</code> lines, for example:
    <pre>{ $example }</pre>
adm-tariff-edit =
    <b>✏️ { $field }</b>
    Send the new value as <code>key: value</code> lines, for example:
    <pre>{ $example }</pre>
adm-tariff-saved = ✅ Tariff saved.
adm-tariff-created = ✅ Tariff <code>{ $code }</code> created.
adm-tariff-shown = 👁 The tariff is on sale again.
adm-tariff-hid = 🙈 The tariff is hidden from sale. Live subscriptions continue.
adm-field-names = Names
adm-field-descriptions = Descriptions
adm-field-options = Periods and prices
adm-field-limits = Limits
adm-field-binding = Panel binding
adm-field-availability = Availability
adm-field-order = Order

adm-promos =
    <b>🏷 Promo codes</b> (uses / limit)
    { $list }
adm-promos-empty = No promo codes yet.
adm-promo-new =
    <b>➕ { $kind }</b>
    Send <code>CODE VALUE [uses=N] [per=N] [until=YYYY-MM-DD] [first]</code>, for example:
    <pre>{ $example }</pre>
adm-promo-created = ✅ Promo code <code>{ $code }</code> created.
adm-promo-deactivated = ⛔ Promo code <code>{ $code }</code> deactivated. Uses already made stay.
adm-promo-kind-percent = Percent off
adm-promo-kind-fixed = Amount off
adm-promo-kind-bonus-days = Bonus days
adm-promo-kind-trial-extension = Longer trial
adm-promo-kind-balance-credit = Balance credit

adm-find-prompt = 🔎 Send the customer's Telegram id or @username.
adm-customer-card =
    <b>📇 { $name }</b> · <code>{ $id }</code>
    Since { $since } · language { $language } · banned: { $banned }
    Balance: { $balance }

    <b>Subscriptions and access</b>
    { $subscriptions }

    <b>Payments</b>
    { $payments }

    <b>Referrals:</b> { $invited } invited, { $invited_paid } paid, earned { $earned }
adm-banned = 🚫 Banned; { $suspended } subscription(s) suspended.
adm-unbanned = ✅ Unbanned; { $reactivated } subscription(s) active again.
adm-resynced = 🔄 { $count } access(es) queued for sync with the panel.
adm-grant-prompt = ➕ How many days to add?
adm-take-prompt = ➖ How many days to take away?
adm-message-prompt = ✉️ Send the message for the customer (plain text).
adm-message-queued = ✉️ The message is on its way.
adm-days-changed = ✅ The subscription now ends { $until } UTC.
adm-refund-confirm = ↩️ Refund this payment? The paid days are taken back and the money is returned through the provider.
adm-refunded = ↩️ Refund: { $outcome }; { $days } day(s) taken back.

adm-broadcast-text = 📣 Send the broadcast text (formatting is kept), or a photo with a caption.
adm-broadcast-button = Add a button? Send <code>Button text | https://example.com</code>, or press “No button”.
adm-broadcast-audience = 👥 Who gets it?
adm-broadcast-drafted = ☝️ This is how it will look. Check the audience size, then send it.
adm-broadcast-preview =
    <b>📣 Ready to send</b>
    Audience: { $audience }
    Recipients now: <b>{ $recipients }</b>
adm-broadcast-progress =
    <b>📣 Broadcast</b> — { $status }
    sent { $sent } · blocked { $blocked } · failed { $failed } · left { $left } of { $total }
    updated { $at } UTC
adm-broadcast-stopped = ⏹ The broadcast is stopped.
adm-broadcast-draft = draft
adm-broadcast-running = sending…
adm-broadcast-cancelled = stopped
adm-broadcast-done = finished
adm-audience-all = Everyone
adm-audience-active = Active
adm-audience-expired = Expired
adm-audience-trial = On trial
adm-audience-never-paid = Never paid
adm-audience-tariff = By tariff

adm-maintenance =
    <b>🛠 Maintenance mode</b>
    When on, customers get a polite “back soon” message; payments and webhooks keep being processed, and admins keep access.
adm-maintenance-on = 🛠 Maintenance mode is on.
adm-maintenance-off = ✅ Maintenance mode is off.

adm-panels =
    <b>🩺 Panels</b>
    { $list }
adm-panels-none = No panels configured.
adm-panel-line = { $icon } { $panel }: circuit { $circuit }, { $latency }, accounts { $accounts }{ $nodes } { $error }
adm-panel-nodes = , nodes { $online } online / { $offline } offline

sd-prompt = 💬 Write your question here — text, photos or files. Our team will answer in this chat. Press “Done” when you have finished.
sd-sent = ✅ Sent to support. We'll answer here.
sd-closed = Thank you! Write /support any time.
sd-contact = 💬 Please write to { $contact } — we'll help.
sd-btn-contact = 💬 Contact support
sd-btn-done = ✅ Done
