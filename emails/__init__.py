"""Jinja2 templates of the emails, with their fixed strings and colours.

`base.html` / `base.txt` hold the layout; each kind of email (recap, invitation, reminder,
announcement) has a `.html` and a `.txt` that extend it. Content blocks are drawn by the macros in
`_blocks.html`, shared by every kind; the text part of the blocks is made in Python
(service/rendering/plaintext.py) because wrapping and aligning columns is clearer there.

Organisers never edit these files: their text arrives as block fields, escaped or sanitised.
Fixed strings live in `strings.py` (nl and en side by side) rather than in the Flask-Babel
catalog, because emails are rendered outside any request, for the recipient's language rather than
the organiser's.
"""
