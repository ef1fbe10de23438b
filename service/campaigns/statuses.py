"""The names of a campaign's statuses, for messages made where Flask is not imported.

The organiser app's labels (service/campaigns/forms.py) are made from the same msgids, so a
message such as "This campaign has the status "Sent"" names it as the pages do, in the
reader's language.
"""

from __future__ import annotations

from service.messages import N_, Message
from service.models import CampaignStatus

STATUS_NAMES = {
    CampaignStatus.DRAFT: N_("Draft"),
    CampaignStatus.SCHEDULED: N_("Scheduled"),
    CampaignStatus.SENDING: N_("Sending"),
    CampaignStatus.PAUSED: N_("Paused"),
    CampaignStatus.SENT: N_("Sent"),
    CampaignStatus.CANCELLED: N_("Cancelled"),
}


def status_name(status: CampaignStatus) -> Message:
    """The status's name, translated when the message holding it is rendered."""
    return Message(STATUS_NAMES[status])
