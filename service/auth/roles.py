"""The roles of the organising team, and what each may do. One table for the web app and the API.

| role        | may                                                                             |
|-------------|---------------------------------------------------------------------------------|
| `viewer`    | read everything organisers read; changes nothing, sends nothing                 |
| `organiser` | what a viewer may, and change contacts, meetings, campaigns, send, nominations  |
| `admin`     | everything: also accounts, others' tokens, deleting contacts, lifting blocks    |

Each role may do all that the roles below it may. A route or API operation states the least role
it needs (service/auth/access.py `allow`); nothing here imports Flask.
"""

from __future__ import annotations

from service.models import Role

# From the fewest rights to the most.
ORDER: tuple[Role, ...] = (Role.VIEWER, Role.ORGANISER, Role.ADMIN)


def may(role: Role, needed: Role) -> bool:
    """Whether an account with `role` may do what needs `needed`."""
    return ORDER.index(role) >= ORDER.index(needed)
