"""A campaign's language versions: which email each reader gets, so nobody gets a mixed one.

A campaign is written in its `language` (the network's default unless chosen otherwise) and may
carry a version in another language in `translations`:

    {"en": {"subject": "...", "preheader": "...", "blocks": [...]}}

A reader gets the version in their own language when the campaign has it; anyone else gets the
campaign's own content *and* framing ("Bekijk in je browser", the answer buttons, the footer) in
the campaign's language. So an English reader of a Dutch recap without an English version reads
all of it in Dutch, never English framing around Dutch text.

The send loop, the web version, the preview and the test send all ask `version_for`; the click
counter numbers the links of every version together (`campaign_links`). Nothing here imports Flask.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from config.settings import LANGUAGES
from service.messages import N_, Message
from service.models import Campaign
from service.rendering import blocks as b
from service.rendering.render import TemplateError

# The parts of a version; the campaign's kind, audience and meeting are shared by all versions.
VERSION_FIELDS = ("subject", "preheader", "blocks")


class StoredContentError(TemplateError):
    """The campaign as stored fails today's checks, so it cannot be rendered until it is mended.

    Rules tighten (a date range, a character that is no longer taken) after content was saved;
    such a campaign then fails like a broken template wherever it is rendered, and the composer
    marks `errors` at their fields so an organiser can mend them.
    """

    def __init__(self, error: b.ContentError):
        self.errors = error.errors
        super().__init__(
            f"the campaign as stored does not pass today's checks ({error}); open it in the "
            "composer, mend the fields marked there and save"
        )


@dataclass(frozen=True)
class Version:
    """What one group of readers gets: the content, and the language of its framing."""

    content: b.CampaignContent
    language: str
    # Whether this is a translation rather than the campaign's own content.
    translated: bool


def version_for(campaign: Campaign, reader_language: str) -> Version:
    """The email a reader of `reader_language` gets.

    Raises StoredContentError (via content_in) when what is stored fails today's checks.
    """
    language = version_language(campaign, reader_language)
    translated = language != campaign_language(campaign)
    return Version(content_in(campaign, language), language, translated=translated)


def campaign_language(campaign: Campaign) -> str:
    """The language the campaign is written in (a campaign stored before languages: Dutch)."""
    return campaign.language or LANGUAGES[0]


def translated_languages(campaign: Campaign) -> list[str]:
    """The languages the campaign has a version in besides its own, sorted."""
    own = campaign_language(campaign)
    return sorted(lang for lang in (campaign.translations or {}) if lang != own)


def content_in(campaign: Campaign, language: str) -> b.CampaignContent:
    """The campaign's content in `language`: its own, or the stored translation."""
    if language == campaign_language(campaign):
        raw: Mapping[str, Any] = {
            "subject": campaign.subject,
            "preheader": campaign.preheader,
            "blocks": campaign.blocks or [],
        }
    else:
        raw = (campaign.translations or {})[language]
    try:
        return b.content_from_dict(
            {
                "kind": str(campaign.kind),
                "subject": raw.get("subject", ""),
                "preheader": raw.get("preheader", ""),
                "blocks": raw.get("blocks", []),
            }
        )
    except b.ContentError as exc:
        raise StoredContentError(exc) from exc


def copy_of_own(campaign: Campaign) -> dict[str, Any]:
    """A translation to start from: a copy of the campaign's own subject, preheader and blocks."""
    return {
        "subject": campaign.subject,
        "preheader": campaign.preheader,
        "blocks": copy.deepcopy(campaign.blocks or []),
    }


def campaign_links(campaign: Campaign) -> list[str]:
    """The web links of every version, each once: the campaign's own in reading order, then
    those only a translation has. A counted link's number is its place here, from 1.

    A version that fails today's checks adds no links (it cannot be sent either).
    """
    found: list[str] = []
    for language in [campaign_language(campaign), *translated_languages(campaign)]:
        try:
            links = b.content_links(content_in(campaign, language))
        except StoredContentError:
            continue
        found.extend(link for link in links if link not in found)
    return found


def structure(blocks: Iterable[Mapping[str, Any]]) -> list[str]:
    """The block types in order: a translation that no longer matches them needs a look."""
    return [str(block.get("type", "")) for block in blocks]


def out_of_step(campaign: Campaign, language: str) -> bool:
    """Whether the translation's blocks no longer follow the campaign's own (added, moved or
    removed since it was made)."""
    translation = (campaign.translations or {}).get(language) or {}
    return structure(translation.get("blocks", [])) != structure(campaign.blocks or [])


@dataclass(frozen=True)
class Readers:
    """How many readers of one language there are, and the language of the email they get."""

    language: str
    count: int
    gets: str
    # Whether they get a version in their own language (a translation or the campaign's own).
    own_language: bool


def readers_by_language(
    campaign: Campaign, counts: Mapping[str, int], languages: Sequence[str]
) -> list[Readers]:
    """The send page's "who gets which": `counts` by the contacts' stored language (a language
    we do not write counts as the first of `languages`, as the send loop treats it), most first."""
    merged: dict[str, int] = {}
    for language, count in counts.items():
        reader = language if language in languages else languages[0]
        merged[reader] = merged.get(reader, 0) + count
    found = []
    for language, count in sorted(merged.items(), key=lambda item: (-item[1], item[0])):
        gets = version_language(campaign, language)
        found.append(Readers(language, count, gets, own_language=gets == language))
    return found


@dataclass(frozen=True)
class BlockPair:
    """One block of a version beside the campaign's own block it translates."""

    own: Mapping[str, Any]
    version: Mapping[str, Any]
    # The version had no block of this type here: it starts as a copy of the own block.
    copied: bool


def paired_blocks(campaign: Campaign, language: str) -> list[BlockPair]:
    """The version's blocks, one beside each of the campaign's own, in the own order.

    The version follows the own structure: a block of the same type stays beside the own block
    it kept step with (types matched in order, so a block added, moved or removed in the own
    version shifts no translation onto the wrong block); where the version has nothing of that
    type, a copy of the own block takes its place. A version's extra blocks are left out, so
    storing these blocks brings the version back in step (`out_of_step` is then False).
    """
    own = [dict(block) for block in campaign.blocks or []]
    translation = (campaign.translations or {}).get(language) or {}
    theirs = [dict(block) for block in translation.get("blocks", [])]
    kept: dict[int, Mapping[str, Any]] = {}
    matcher = difflib.SequenceMatcher(None, structure(own), structure(theirs), autojunk=False)
    for tag, own_from, own_to, their_from, _their_to in matcher.get_opcodes():
        if tag == "equal":
            for offset in range(own_to - own_from):
                kept[own_from + offset] = theirs[their_from + offset]
    return [
        BlockPair(
            own=block,
            version=kept.get(n, copy.deepcopy(block)),
            copied=n not in kept,
        )
        for n, block in enumerate(own)
    ]


def without_version(campaign: Campaign, language: str) -> dict[str, Any]:
    """The campaign's translations with the one in `language` removed (to store)."""
    return {
        other: copy.deepcopy(version)
        for other, version in (campaign.translations or {}).items()
        if other != language
    }


def with_version(campaign: Campaign, language: str, version: Mapping[str, Any]) -> dict[str, Any]:
    """The campaign's translations with `version` as the one in `language` (to store)."""
    return {**without_version(campaign, language), language: dict(version)}


def version_language(campaign: Campaign, reader_language: str) -> str:
    """The language of the email a reader of `reader_language` gets (version_for, unchecked)."""
    own = campaign_language(campaign)
    return reader_language if reader_language in translated_languages(campaign) else own


def checked_versions(
    kind: str,
    language: Any,
    translations: Any,
    errors: dict[str, Message | list[b.FieldError]],
) -> tuple[str, dict[str, Any]]:
    """The language and translations ready to store; problems go into `errors` by field path
    (a translation's as "translations.en.blocks.2.body")."""
    if language in (None, ""):
        language = LANGUAGES[0]
    if language not in LANGUAGES:
        errors["language"] = Message(
            N_("Choose the language of the email: one of %(languages)s."),
            {"languages": ", ".join(LANGUAGES)},
        )
        language = LANGUAGES[0]
    checked: dict[str, Any] = {}
    if translations in (None, ""):
        translations = {}
    if not isinstance(translations, Mapping):
        errors["translations"] = Message(
            N_('Give the versions in other languages as an object by language, e.g. {"en": {}}.')
        )
        return language, checked
    for other, raw in translations.items():
        where = f"translations.{other}"
        if other not in LANGUAGES or other == language:
            errors[where] = Message(
                N_("A version in %(language)s is not possible; other languages are %(languages)s."),
                {
                    "language": str(other),
                    "languages": ", ".join(lang for lang in LANGUAGES if lang != language),
                },
            )
            continue
        fields = dict(raw) if isinstance(raw, Mapping) else {"": raw}
        if "kind" in fields:
            errors[f"{where}.kind"] = Message(N_("A version shares the campaign's kind."))
            continue
        try:
            content = b.content_from_dict({"kind": str(kind), **fields})
        except b.ContentError as exc:
            b.add_errors(errors, exc.errors, where)
            continue
        checked[other] = {
            "subject": content.subject,
            "preheader": content.preheader,
            "blocks": [b.block_to_dict(block) for block in content.blocks],
        }
    return language, checked
