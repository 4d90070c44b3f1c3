"""Customer-facing use cases (the bot's menu)."""
