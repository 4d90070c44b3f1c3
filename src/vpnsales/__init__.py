"""vpnsales: sell VPN access through a Telegram bot."""
