"""Two-factor sign-in pages (the rules are in service/auth/two_factor.py)."""
