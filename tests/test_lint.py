"""Lint before sending: what stops a send (errors) and what is only shown (warnings)."""

from __future__ import annotations

import pytest

from service.campaigns.lint import GMAIL_CLIP_BYTES, Finding, has_errors, lint
from service.demo.recap import seed_recap, seed_upcoming_meetings
from service.rendering import blocks as b
from service.rendering.render import Network, render_campaign

NETWORK = Network(name="Opgavebeweging", email="grenzeloossamenwerken@rijksoverheid.nl")


def findings_for(content: b.CampaignContent) -> list[Finding]:
    rendered = render_campaign(
        content,
        language="nl",
        network=NETWORK,
        base_url="https://post.example.nl",
        upcoming=seed_upcoming_meetings(),
    )
    return lint(content, rendered)


def codes(findings: list[Finding]) -> list[tuple[str, str, int | None]]:
    return [(f.level, f.code, f.block) for f in findings]


def clean(*blocks: b.Block, subject: str = "Terugblik op 4 maart") -> b.CampaignContent:
    return b.CampaignContent(subject=subject, preheader="Wat we leerden", blocks=list(blocks))


def test_the_seed_recap_shows_its_klik_hier_links_to_nowhere():
    findings = findings_for(seed_recap())
    # The third "Klik hier" leads to the reader's own wall link ([[muur_url]]): vague, not broken.
    assert codes(findings) == [
        ("error", "link-to-anchor", 2),
        ("error", "link-to-anchor", 6),
        ("warning", "vague-link-text", 2),
        ("warning", "vague-link-text", 6),
        ("warning", "vague-link-text", 18),
    ]
    assert has_errors(findings)
    first = findings[0]
    assert first.message("nl") == (
        "De link “Klik hier.” verwijst naar “#”, wat in een e-mail nergens heen leidt; "
        "vul het volledige adres in."
    )
    assert first.message("en").startswith("The link “Klik hier.” points to “#”")
    assert first.to_dict("en")["block"] == 2


def test_the_seed_recap_is_clean_once_its_links_are_mended():
    content = seed_recap()
    for block in content.blocks:
        if isinstance(block, b.Text):
            block.body = block.body.replace("[Klik hier.](#)", "[Bekijk de foto's](https://x.nl/f)")
            block.body = block.body.replace(
                "[Klik hier](#)", "[Bekijk het filmpje](https://x.nl/v)"
            )
            block.body = block.body.replace(
                "[Klik hier]([[muur_url]])", "[Bekijk de netwerkmuur]([[muur_url]])"
            )
    assert findings_for(content) == []


def test_clean_content_has_no_findings():
    content = clean(
        b.Text("Lees [het verslag van de dag](https://example.nl/verslag)."),
        b.Image("/media/zaal.jpg", "De zaal vol mensen", "", 600),
        b.Button("Meld je aan voor 3 juni", "https://example.nl/aanmelden"),
        b.Mailto("Vragen?", "info@example.nl"),
    )
    assert findings_for(content) == []


def test_subject_and_preheader():
    assert codes(findings_for(clean(subject="  "))) == [("error", "empty-subject", None)]
    long = "Terugblik: " + "de Opgavebeweging op bezoek " * 3
    findings = findings_for(clean(subject=long))
    assert codes(findings) == [("warning", "long-subject", None)]
    assert str(len(long.strip())) in findings[0].message("en")
    assert not has_errors(findings)
    no_preheader = b.CampaignContent(subject="Hallo", preheader="")
    assert codes(findings_for(no_preheader)) == [("warning", "missing-preheader", None)]


def test_images_need_alt_text_and_an_address():
    content = clean(
        b.Image("https://example.nl/a.jpg", "", "", 300),
        b.Image("", "Een foto", "", 300),
        b.Header(title="T", host="H", logo=b.ImageRef("/media/logo.png", " ", 120)),
    )
    assert codes(findings_for(content)) == [
        ("error", "image-no-alt", 0),
        ("error", "image-no-src", 1),
        ("error", "image-no-alt", 2),
    ]


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("", "empty-link"),
        ("#", "link-to-anchor"),
        ("#programma", "link-to-anchor"),
        ("www.example.nl", "bad-url"),
        ("/programma", "bad-url"),
        ("https://", "bad-url"),
        ("https://intranet/programma", "bad-url"),
        ("http://[example.nl", "bad-url"),
        ("mailto:niet-een-adres", "bad-mailto"),
    ],
)
def test_links_that_lead_nowhere_are_errors(url, code):
    findings = findings_for(clean(b.Button("Bekijk het programma", url)))
    assert codes(findings) == [("error", code, 0)]


def test_a_call_to_action_with_a_broken_address_is_an_error():
    findings = findings_for(clean(b.Mailto("Mail ons", "niet-een-adres")))
    assert codes(findings) == [("error", "bad-mailto", 0)]


@pytest.mark.parametrize(
    "label",
    ["Klik hier", "klik hier!", "Hier", "Lees meer…", "lees verder", "Click here", "Read more"],
)
def test_link_text_that_says_nothing_is_a_warning(label):
    findings = findings_for(clean(b.Text(f"[{label}](https://example.nl/verslag)")))
    assert codes(findings) == [("warning", "vague-link-text", 0)]
    assert not has_errors(findings)


def test_a_link_without_text_is_an_error():
    findings = findings_for(clean(b.Button("", "https://example.nl")))
    assert codes(findings) == [("error", "empty-link-text", 0)]


def test_links_in_lists_and_markdown_are_checked_too():
    content = clean(
        b.BulletList(["Zie [hier](#)"]),
        b.NumberedList(["[Programma](https://example.nl/p)"]),
        b.Mailto("Of [lees meer](https://example.nl/m).", "info@example.nl"),
    )
    assert codes(findings_for(content)) == [
        ("error", "link-to-anchor", 0),
        ("warning", "vague-link-text", 0),
        ("warning", "vague-link-text", 2),
    ]


def test_unsafe_fields_that_skipped_validation_are_errors():
    findings = findings_for(clean(b.Button("Ga", "javascript:alert(1)")))
    assert ("error", "invalid-field", 0) in codes(findings)
    invalid = next(f for f in findings if f.code == "invalid-field")
    assert invalid.message("en") == (
        "blocks[0].url: links may only start with http, https, mailto or tel, not javascript:"
    )
    assert ("error", "empty-link", 0) in codes(findings), "the renderer dropped the address"


def test_html_near_or_over_gmails_limit_is_a_warning():
    paragraph = "Een alinea met wat tekst over de bijeenkomst en wat we leerden. " * 12

    def with_paragraphs(count: int) -> b.CampaignContent:
        return clean(*[b.Text(paragraph) for _ in range(count)])

    small = findings_for(with_paragraphs(10))
    assert small == []
    per_block = (len(render_size(with_paragraphs(20))) - len(render_size(with_paragraphs(10)))) / 10
    near = int((GMAIL_CLIP_BYTES * 0.95 - len(render_size(with_paragraphs(0)))) / per_block)
    assert codes(findings_for(with_paragraphs(near))) == [("warning", "html-near-clip", None)]
    over = findings_for(with_paragraphs(near + 20))
    assert codes(over) == [("warning", "html-clipped", None)]
    assert "102 KB" in over[0].message("nl")


def render_size(content: b.CampaignContent) -> bytes:
    return render_campaign(
        content, language="nl", network=NETWORK, base_url="https://post.example.nl"
    ).html.encode()
