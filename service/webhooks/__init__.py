"""/webhooks/: bounce and complaint calls from the HTTP API relays (Mailgun, Postmark)."""
