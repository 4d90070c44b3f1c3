## Setup instructions (instructions.py). HTML.

guide-choose-platform =
    <b>📲 Setup instructions</b>

    Choose your device:
guide-title = <b>📲 Setting up on { $platform }</b>
guide-step-install =
    <b>1. Install an app</b>
    { $apps }
guide-app-line = • <a href="{ $url }">{ $app }</a>
guide-app-line-recommended = • <a href="{ $url }">{ $app }</a> (recommended)
guide-step-import-button =
    <b>2. Add your subscription</b>
    Tap “Add to { $app }” below: the app opens and adds it by itself. Or copy the link (tap it) and add it in the app from the clipboard:
    <code>{ $url }</code>
guide-step-import-manual =
    <b>2. Add your subscription</b>
    Copy the link (tap it), open { $app }, tap “+” and choose to import from the clipboard:
    <code>{ $url }</code>
guide-deeplink-text =
    Or paste this link into your device's browser, and { $app } will add the subscription by itself:
    <code>{ $link }</code>
guide-step-connect =
    <b>3. Connect</b>
    Choose a server (or keep the automatic choice) and tap the connect button.
guide-note-ios = ℹ️ When iOS asks whether to allow adding VPN configurations, tap “Allow”.
guide-note-android = ℹ️ When Android asks to allow the VPN connection, tap “OK”.
guide-note-windows = ℹ️ If some programs bypass the VPN, turn on VPN (TUN) mode in the app's settings. The app may ask to run as administrator.
guide-note-macos = ℹ️ When macOS asks whether to allow adding VPN configurations, click “Allow”.
guide-note-linux = ℹ️ To route the whole system through the VPN, turn on VPN (TUN) mode in the app's settings. It may ask for your password.
