"""Reading the mail caught by the outbox transport, in the browser."""
