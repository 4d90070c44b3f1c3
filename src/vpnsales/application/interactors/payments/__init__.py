"""Payment use cases: quote, checkout, confirmation, failure, pre-checkout, refunds."""
