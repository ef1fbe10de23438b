"""The audit log page for admins: who did what, when."""
