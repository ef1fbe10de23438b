"""Nominations ("iemand aandragen") and organisations offering to host ("gastheer worden").

Two public forms, and the organisers' queue that decides on them: an accepted nomination sends
the nominee one personal introduction email (no subscription, no contact: those need the
nominee's own consent); a host proposal becomes a draft meeting.
"""
