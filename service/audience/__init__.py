"""The audience: subscriptions to mailings, the public signup with double opt-in, unsubscribing
per mailing, and the contact's own preference page with data export and self-deletion."""
