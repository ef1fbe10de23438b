"""The password policy of organiser accounts: long enough, not common, not one's own name.

Every place that sets a password (the CLI's `users create`, accepting an invitation, a reset, a
change on one's own account) calls `check_password` before hashing it. Three rules, each with
its own message, so the person knows what to change:

- at least MIN_PASSWORD_LENGTH (12) characters;
- not one of the 30,000 most common passwords of zxcvbn's lists (shipped with the package, read
  once, no network), nor such a password with only digits or signs around it ("wachtwoord123");
- not holding the person's own name or address: each part of the name and of the address's
  local part of at least MIN_PERSONAL_PART letters, and the domain name ("example" of
  example.nl); shorter parts would refuse half of all passwords ("Jan", "Bo").

Nothing here imports Flask.
"""

from __future__ import annotations

import enum
import functools
import re

from config.settings import MIN_PASSWORD_LENGTH
from service.translation import translator

# A part of a name or address shorter than this is not looked for in the password.
MIN_PERSONAL_PART = 4
# The core of "wachtwoord123!" is "wachtwoord"; a core shorter than this is not looked up.
MIN_COMMON_CORE = 4
_NOT_LETTERS = re.compile(r"[^\w]|[\d_]+")
_EDGES = re.compile(r"^[\W\d_]+|[\W\d_]+$")


class Rule(enum.StrEnum):
    """The rule a refused password broke."""

    LENGTH = "length"
    COMMON = "common"
    PERSONAL = "personal"


class PasswordRefused(ValueError):
    """The password breaks a rule of the policy; `message(language)` says which."""

    def __init__(self, rule: Rule):
        self.rule = rule
        super().__init__(self.message("en"))

    def message(self, language: str) -> str:
        """What is wrong with the password and how to mend it, in `language`."""
        _ = translator(language).gettext
        if self.rule == Rule.LENGTH:
            return _(
                "The password must be at least %(count)s characters long.",
                count=MIN_PASSWORD_LENGTH,
            )
        if self.rule == Rule.COMMON:
            return _(
                "This password is one of the most common passwords, which are tried first. "
                "Choose another, for example a few unrelated words."
            )
        return _("The password must not contain your own name or email address. Choose another.")


@functools.cache
def common_passwords() -> frozenset[str]:
    """zxcvbn's list of common passwords (lower case), read once."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(word.lower() for word in FREQUENCY_LISTS["passwords"])


def personal_parts(name: str = "", email: str = "") -> set[str]:
    """The parts of a name and an address that a password must not hold (lower case)."""
    parts: set[str] = set(_NOT_LETTERS.split(name.lower()))
    local, _at, domain = email.lower().rpartition("@") if "@" in email else (email.lower(), "", "")
    parts.update(_NOT_LETTERS.split(local))
    parts.add(local)
    # The domain's labels without the top-level one: "minbzk" of minbzk.nl.
    for label in domain.split(".")[:-1]:
        parts.update(_NOT_LETTERS.split(label))
    return {part for part in parts if len(part) >= MIN_PERSONAL_PART}


def check_password(password: str, *, name: str = "", email: str = "") -> None:
    """Raise PasswordRefused naming the first rule the password breaks; None when it is good."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordRefused(Rule.LENGTH)
    lowered = password.lower()
    common = common_passwords()
    core = _EDGES.sub("", lowered)
    if lowered in common or (len(core) >= MIN_COMMON_CORE and core in common):
        raise PasswordRefused(Rule.COMMON)
    if any(part in lowered for part in personal_parts(name, email)):
        raise PasswordRefused(Rule.PERSONAL)
