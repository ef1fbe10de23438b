"""Rendering: subject, HTML and text of every email, from the emails/ templates and blocks."""
