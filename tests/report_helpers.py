"""A sent invitation campaign with every figure its report counts, seeded row by row.

The bounces, unsubscribes and link clicks are written as the bounce loop, the unsubscribe page
and the click redirect would store them (their own tests cover those); the deliveries carry
the statuses the send loop gives. `EXPECTED` is what the report must say about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from service.addresses import LOCAL_PART_NEEDS_SMTPUTF8
from service.models import (
    Answer,
    Bounce,
    Campaign,
    CampaignLinkClicks,
    CampaignStatus,
    CampaignUnsubscribe,
    Delivery,
    DeliveryStatus,
    Invitation,
)
from service.translation import translator
from tests.builders import amsterdam, make_campaign, make_contact, make_invitation, make_meeting

SEND_DAY = date(2025, 5, 20)
NO_SUCH_USER = "the SMTP server answered 550 to the recipient: 5.1.1 <{email}>: no such user"
LINKS = [("https://example.nl/verslag", 5), ("https://example.nl/aanmelden", 2)]

# The report of the seeded invitation, as GET /api/v1/campaigns/<id>/report answers it in Dutch.
EXPECTED = {
    "recipients": 15,
    "delivered": 9,
    "failed": 3,
    "failed_reasons": [
        {"reason": NO_SUCH_USER.format(email="…"), "count": 2},
        {"reason": translator("nl").gettext(LOCAL_PART_NEEDS_SMTPUTF8), "count": 1},
    ],
    "bounced": {"hard": 1, "soft": 1, "total": 2},
    "complaints": 1,
    "unsubscribed": {"total": 3, "by_mailing": {"news": 2, "invitations": 0, "all": 1}},
    "answers": {
        "invited": 5,
        "yes": 2,
        "no": 1,
        "waiting": 1,
        "no_answer": 1,
        "attended": 1,
        "per_day": [
            {"date": "2025-05-20", "count": 0},
            {"date": "2025-05-21", "count": 1},
            {"date": "2025-05-22", "count": 3},
        ],
    },
    "provinces": [
        {"province": code, "recipients": count}
        for code, count in {
            "groningen": 1,
            "friesland": 0,
            "drenthe": 0,
            "noord-holland": 0,
            "flevoland": 0,
            "overijssel": 0,
            "gelderland": 0,
            "utrecht": 4,
            "zuid-holland": 1,
            "zeeland": 0,
            "noord-brabant": 0,
            "limburg": 0,
            "landelijk": 1,
        }.items()
    ],
    "provinces_not_reached": [
        "zeeland",
        "limburg",
        "noord-brabant",
        "gelderland",
        "noord-holland",
        "flevoland",
        "overijssel",
        "drenthe",
        "friesland",
    ],
    "clicks": [
        {"link": 1, "url": LINKS[0][0], "clicks": 5},
        {"link": 2, "url": LINKS[1][0], "clicks": 2},
    ],
}


@dataclass
class Seeded:
    invitation: Campaign  # the sent invitation with every figure
    recap: Campaign  # a sent recap, counting off, two deliveries
    meeting_id: int
    outsider_id: int  # invited by hand to the same meeting, said yes: not this campaign's


def _delivery(db, campaign: Campaign, contact, status: DeliveryStatus, error: str = "") -> Delivery:
    delivery = Delivery(
        campaign_id=campaign.id,
        contact_id=contact.id if contact is not None else None,
        email=contact.email if contact is not None else "weg@example.nl",
        status=status,
        last_error=error,
        sent_at=amsterdam(SEND_DAY, time(9, 5)) if status == DeliveryStatus.SENT else None,
    )
    db.add(delivery)
    db.flush()
    return delivery


def _sent(campaign: Campaign) -> None:
    campaign.status = CampaignStatus.SENT
    campaign.send_started_at = amsterdam(SEND_DAY, time(9, 0))
    campaign.sent_at = amsterdam(SEND_DAY, time(9, 10))


def seed_report(db) -> Seeded:
    """The invitation of EXPECTED and a recap, both sent on SEND_DAY."""
    meeting = make_meeting(db)
    invitation = make_invitation(db, meeting, subject="Kom naar Zwolle")
    invitation.count_clicks = True
    _sent(invitation)
    provinces = ["utrecht", "utrecht", "zuid-holland", "groningen", "landelijk", None]
    answered = [make_contact(db, province=p) for p in provinces[:5]]
    no_province = make_contact(db, province=None)
    hard = make_contact(db, province="zeeland")
    soft = make_contact(db, province="utrecht")
    complained = make_contact(db, province="utrecht")
    for contact in [*answered, no_province, hard, soft, complained]:
        _delivery(db, invitation, contact, DeliveryStatus.SENT)
    for _ in range(2):
        refused = make_contact(db, province="limburg")
        error = NO_SUCH_USER.format(email=refused.email)
        _delivery(db, invitation, refused, DeliveryStatus.FAILED, error)
    _delivery(
        db,
        invitation,
        make_contact(db, email="jöran@example.nl", province="limburg"),
        DeliveryStatus.FAILED,
        LOCAL_PART_NEEDS_SMTPUTF8,
    )
    _delivery(db, invitation, make_contact(db, province="drenthe"), DeliveryStatus.SKIPPED)
    _delivery(db, invitation, make_contact(db, province="drenthe"), DeliveryStatus.CANCELLED)
    _delivery(db, invitation, make_contact(db, province="drenthe"), DeliveryStatus.QUEUED)
    db.flush()

    deliveries = {d.contact_id: d for d in db.query(Delivery).filter_by(campaign_id=invitation.id)}
    later = amsterdam(date(2025, 5, 23), time(8, 0))
    db.add_all(
        [
            Bounce(
                delivery_id=deliveries[hard.id].id,
                campaign_id=invitation.id,
                email=hard.email,
                kind="hard_bounce",
                source="listener",
                occurred_at=later,
            ),
            # Two soft bounces of one delivery count it once.
            *(
                Bounce(
                    delivery_id=deliveries[soft.id].id,
                    campaign_id=invitation.id,
                    email=soft.email,
                    kind="soft_bounce",
                    source="mailbox",
                    occurred_at=later,
                )
                for _ in range(2)
            ),
            Bounce(
                delivery_id=deliveries[complained.id].id,
                campaign_id=invitation.id,
                email=complained.email,
                kind="complaint",
                source="postmark",
                occurred_at=later,
            ),
            CampaignUnsubscribe(campaign_id=invitation.id, mailing="news"),
            CampaignUnsubscribe(campaign_id=invitation.id, mailing="news"),
            CampaignUnsubscribe(campaign_id=invitation.id, mailing="all"),
            *(
                CampaignLinkClicks(campaign_id=invitation.id, link_number=n, url=url, clicks=c)
                for n, (url, c) in enumerate(LINKS, start=1)
            ),
        ]
    )

    # Answers on two days; 00:30 on 22 May in Amsterdam is still 21 May in UTC.
    moments = [
        (Answer.YES, amsterdam(date(2025, 5, 21), time(10, 0)), True),
        (Answer.YES, amsterdam(date(2025, 5, 22), time(0, 30)), None),
        (Answer.NO, amsterdam(date(2025, 5, 22), time(12, 0)), False),
        (Answer.WAITING, amsterdam(date(2025, 5, 22), time(18, 0)), None),
        (Answer.INVITED, None, None),
    ]
    for contact, (answer, at, attended) in zip(answered, moments, strict=True):
        db.add(
            Invitation(
                meeting_id=meeting.id,
                contact_id=contact.id,
                campaign_id=invitation.id,
                answer=answer,
                answered_at=at,
                attended=attended,
            )
        )
    outsider = make_contact(db, province="zeeland")
    db.add(
        Invitation(
            meeting_id=meeting.id,
            contact_id=outsider.id,
            answer=Answer.YES,
            answered_at=amsterdam(date(2025, 5, 21), time(11, 0)),
            attended=True,
        )
    )

    # Another campaign's bounces, unsubscribes and deliveries count only there.
    recap = make_campaign(db, subject="Terugblik Zwolle")
    _sent(recap)
    _delivery(db, recap, answered[0], DeliveryStatus.SENT)
    _delivery(db, recap, outsider, DeliveryStatus.FAILED, "the relay said no")
    db.add(
        Bounce(
            delivery_id=None,
            campaign_id=recap.id,
            email=answered[0].email,
            kind="hard_bounce",
            source="mailgun",
        )
    )
    db.add(CampaignUnsubscribe(campaign_id=recap.id, mailing="invitations"))
    db.commit()
    return Seeded(invitation, recap, meeting.id, outsider.id)
