"""Campaigns: the content blocks organisers compose, the seed recap, and the lint before sending."""
