"""The dev mailbox: reading the mail that the outbox transport caught, in the browser (/outbox/)."""
