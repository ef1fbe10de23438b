"""API tokens in the web app: each person's own (/account/tokens) and everyone's for admins."""
