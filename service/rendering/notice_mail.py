"""The single emails after an answer or a change of a meeting, built when the send loop sends them.

service/meetings/notices.py queues them as outbox rows with a `kind` and a `payload`; the send
loop builds each here, from the meeting as it is at that moment, in the contact's language: a
short text (emails/notice.html and .txt in the base layout, CSS inlined per message: these are
few), the contact's own link to see or change the answer, and where the kind asks for it the
iCalendar REQUEST or CANCEL for this one attendee (service/meetings/calendar.py).

Nothing here imports Flask.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from service.mail.outgoing import CalendarPart, Outgoing
from service.meetings import notices
from service.meetings.calendar import (
    Method,
    calendar_meeting,
    ics_bytes,
    meeting_calendar,
)
from service.models import Meeting
from service.rendering.render import (
    Network,
    TemplateError,
    email_context,
    email_environment,
    facts_of,
    inline_css,
)
from service.translation import translator

_BLANK_LINES = re.compile(r"\n{3,}")


@dataclass(frozen=True)
class NoticeText:
    """What one kind of notice says, and which calendar message goes with it (None: none)."""

    subject: str
    paragraphs: tuple[str, ...]
    method: Method | None = None
    # Whether the contact can still change the answer (not for a cancelled meeting).
    answer_link: bool = True
    partstat: str = "ACCEPTED"


def notice_text(
    kind: str, payload: Mapping[str, Any], meeting_title: str, language: str
) -> NoticeText:
    """The subject, paragraphs and calendar method of a notice; ValueError for an unknown kind."""
    _ = translator(language).gettext
    title = meeting_title
    calendar_line = _(
        "The meeting is in the calendar invitation with this email; accept it to put it in your "
        "calendar."
    )
    cancel = bool(payload.get("cancel"))
    if kind == notices.ANSWER_YES:
        return NoticeText(
            _("You are registered for %(meeting)s", meeting=title),
            (_("Thank you for your answer. We look forward to seeing you."), calendar_line),
            "REQUEST",
        )
    if kind == notices.ANSWER_WAITING:
        return NoticeText(
            _("You are on the waiting list (number %(position)s)", position=payload["position"]),
            (
                _(
                    "%(meeting)s is full. As soon as a place comes free, it is yours and we email "
                    "you.",
                    meeting=title,
                ),
            ),
        )
    if kind == notices.ANSWER_NO and cancel:
        return NoticeText(
            _("You are no longer registered for %(meeting)s", meeting=title),
            (
                _(
                    "We have received your answer: you cannot come. The meeting is taken out of "
                    "your calendar with this email."
                ),
            ),
            "CANCEL",
            partstat="DECLINED",
        )
    if kind == notices.ANSWER_NO:
        return NoticeText(
            _("Sorry you cannot come to %(meeting)s", meeting=title),
            (_("Thank you for letting us know. We hope to see you another time."),),
        )
    if kind == notices.PROMOTED:
        return NoticeText(
            _("A place came free: you are registered for %(meeting)s", meeting=title),
            (
                _(
                    "You were on the waiting list and now have a place. We look forward to "
                    "seeing you."
                ),
                calendar_line,
            ),
            "REQUEST",
        )
    if kind == notices.MEETING_UPDATE:
        return NoticeText(
            _("Changed: %(meeting)s", meeting=title),
            (
                _(
                    "The time or place of the meeting has changed. Below are the new details; "
                    "the calendar invitation with this email updates your calendar."
                ),
            ),
            "REQUEST",
        )
    if kind == notices.MEETING_CANCEL:
        line = (
            _("The meeting does not take place. It is taken out of your calendar with this email.")
            if cancel
            else _("The meeting does not take place, so the waiting list lapses.")
        )
        return NoticeText(
            _("Cancelled: %(meeting)s", meeting=title),
            (line,),
            "CANCEL" if cancel else None,
            answer_link=False,
        )
    raise ValueError(f"unknown kind of single message {kind!r}; use one of {sorted(notices.KINDS)}")


@dataclass(frozen=True)
class NoticeSender:
    """What every notice shares: who sends, where links point, the calendar UID's domain."""

    network: Network
    base_url: str
    from_name: str
    from_email: str
    uid_domain: str

    def outgoing(
        self,
        kind: str,
        *,
        template: str,
        context: Mapping[str, Any],
        what: str,
        to_name: str,
        to_email: str,
        message_id: str,
        calendar: CalendarPart | None = None,
    ) -> Outgoing:
        """A single message of this kind from the network, rendered from `emails/<template>` with
        `context` (whose `subject` it takes); replies go to the network's mailbox.

        Raises TemplateError naming `what` when the template cannot be rendered.
        """
        html, plain = render_single(template, context, what=what)
        return Outgoing(
            from_name=self.from_name,
            from_email=self.from_email,
            to_name=to_name,
            to_email=to_email,
            subject=context["subject"],
            text=plain,
            html=html,
            reply_to=self.network.email,
            message_id=message_id,
            headers=(("X-Opgavepost-Notice", kind),),
            calendar=calendar,
            # It answers the person's own action: transactional mail, not a mailing.
            transactional=True,
        )


def build_notice(
    sender: NoticeSender,
    meeting: Meeting,
    *,
    kind: str,
    payload: Mapping[str, Any],
    to_name: str,
    to_email: str,
    language: str,
    answer_url: str,
    message_id: str,
    now: datetime,
) -> Outgoing:
    """The notice for one contact; raises ValueError (unknown kind) or TemplateError."""
    text = notice_text(kind, payload, meeting.title, language)
    name = to_name.strip()
    _ = translator(language).gettext
    # Someone without a name on file is greeted by their part in the meeting.
    greeting = _("Dear %(name)s,", name=name.split()[0] if name else _("participant"))
    context = email_context(language, sender.network, sender.base_url, facts_of(meeting))
    context.update(
        subject=text.subject,
        preheader=text.paragraphs[0],
        greeting=greeting,
        paragraphs=text.paragraphs,
        answer_url=answer_url if text.answer_link else "",
        blocks_html=[],
        blocks_text="",
    )
    calendar = None
    if text.method is not None:
        ics = meeting_calendar(
            calendar_meeting(meeting, payload.get("sequence")),
            method=text.method,
            uid_domain=sender.uid_domain,
            timezone=sender.network.timezone,
            organizer_email=sender.network.email,
            organizer_name=sender.network.name,
            attendee_email=to_email,
            attendee_name=name,
            partstat=text.partstat,
            now=now,
        )
        calendar = CalendarPart(text.method, ics_bytes(ics))
    return sender.outgoing(
        kind,
        template="notice",
        context=context,
        what=f"the {kind} email",
        to_name=name,
        to_email=to_email,
        message_id=message_id,
        calendar=calendar,
    )


def render_single(template: str, context: Mapping[str, Any], *, what: str) -> tuple[str, str]:
    """The HTML (CSS inlined) and text of a single message from `emails/<template>.html/.txt`.

    Shared by every message outside a campaign (notices, signup confirmations, introductions);
    raises TemplateError naming `what`, so nothing half-rendered is sent.
    """
    env = email_environment()
    try:
        html = inline_css(env.get_template(f"{template}.html").render(context))
        plain = env.get_template(f"{template}.txt").render(context)
    except Exception as exc:  # jinja2 and premailer raise many kinds; none may send half a mail
        raise TemplateError(f"{what} could not be rendered: {exc}") from exc
    return html, _BLANK_LINES.sub("\n\n", plain).strip("\n") + "\n"
