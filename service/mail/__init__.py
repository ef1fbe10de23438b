"""Mail: a ready message onto a relay (SMTP, Mailgun, Postmark, dev outbox); knows no feature."""
