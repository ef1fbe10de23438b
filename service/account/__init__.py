"""One's own account: name, language and password."""
