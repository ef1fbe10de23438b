"""Uploaded images: stored once by content hash, served publicly from /media/."""
