## Domain errors: error-<code> for every DomainError.code (domain/errors.py).
## Plain sentences without arguments: the bot shows them as they are.

error-domain-error = ⚠️ That didn't work. Please try again, or contact support if it keeps happening.
error-invalid-value = ⚠️ That value doesn't look right. Please check it and try again.
error-currency-mismatch = ⚠️ This can't be paid in that currency. Please choose another payment method.
error-not-found = 🔍 We couldn't find that. It may have been removed.
error-customer-not-found = 🔍 We couldn't find your account. Please send /start and try again.
error-tariff-not-found = 🔍 This plan doesn't exist any more. Please choose another one.
error-subscription-not-found = 🔍 We couldn't find this subscription. Please open <b>My subscriptions</b> again.
error-payment-not-found = 🔍 We couldn't find this payment. If money was charged, please contact support.
error-access-not-found = 🔍 Your connection details aren't ready yet. Please try again in a minute.
error-promo-not-found = 🏷 There's no such promo code. Please check the spelling and try again.
error-customer-banned = 🚫 Access to this bot is restricted. If you think this is a mistake, please contact support.
error-insufficient-balance = 💰 There isn't enough money on your balance. Top it up or choose another payment method.
error-tariff-unavailable = This plan isn't available to you right now. Please choose another one.
error-option-unavailable = This period is no longer available. Please choose another one.
error-price-unavailable = This plan can't be paid with this method. Please choose another payment method.
error-trial-already-used = 🎁 You've already used your free trial. Choose a plan to keep using the VPN.
error-trial-unavailable = 🎁 The free trial isn't available at the moment.
error-invalid-subscription-transition = ⚠️ This can't be done with the subscription in its current state.
error-plan-change-not-allowed = ⚠️ You can't switch to this plan from your current one. Please choose another plan or contact support.
error-invalid-payment-transition = ⚠️ This payment has already been processed.
error-payment-amount-mismatch = ⚠️ The amount paid doesn't match the order. Don't worry: our team has been notified and will sort it out.
error-payment-not-owned = ⚠️ This payment belongs to another account.
error-payment-expired = ⌛ This payment link has expired. Please create a new order. You haven't been charged.
error-provider-unavailable = ⚠️ This payment method is temporarily unavailable. Please try again in a few minutes or choose another method.
error-promo-invalid = 🏷 That doesn't look like a promo code. Codes consist of Latin letters, digits, hyphens and underscores.
error-promo-expired = 🏷 This promo code has expired.
error-promo-not-started = 🏷 This promo code isn't active yet. Please try again later.
error-promo-exhausted = 🏷 This promo code has been used up: all its activations are taken.
error-promo-already-used = 🏷 You've already used this promo code.
error-promo-not-applicable = 🏷 This promo code doesn't apply to the selected plan.
error-promo-first-purchase-only = 🏷 This promo code is for first purchases only.
error-promo-inactive = 🏷 This promo code is no longer active.
error-promo-exists = 🏷 A promo code with this name already exists.
error-referral-not-allowed = 👥 This invitation link can't be used with your account.
error-access-state = ⚠️ Your connection is being updated right now. Please try again in a minute.
error-permission-denied = 🚫 You don't have permission to do this.
error-maintenance = 🛠 The bot is down for maintenance. We'll be back shortly. Your VPN keeps working as usual.
error-already-exists = ⚠️ This already exists.
error-customer-exists = ⚠️ This account already exists.
error-access-exists = ⚠️ Your connection has already been created.
error-duplicate-provider-payment = ✅ This payment has already been received.

## Application errors (application/errors.py).
error-provider-not-configured = 💳 This payment method isn't available right now. Please choose another one.
error-currency-not-accepted = 💳 This payment method doesn't accept that currency.
error-subscription-not-owned = 🔒 This subscription belongs to another account.
error-top-up-invalid = 💰 Please enter a valid top-up amount.
