"""A campaign's report as CSV, in the form Dutch Excel opens by double-click.

Same shape as the contacts and invitations exports: UTF-8 with BOM, semicolons, CRLF, and text
cells that a spreadsheet would run as a formula made harmless (service.spreadsheets). One row
per figure: section; item; count. Words are in the network's default language (Dutch), from
the catalogs; counts only, so the file names nobody. Nothing here imports Flask.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator

from config.settings import DEFAULT_LANGUAGE
from service.addresses import REASONS
from service.campaigns.report import OTHER_REASONS, CampaignReport
from service.messages import N_
from service.spreadsheets import EXPORT_DELIMITER, protect_cell
from service.translation import translator

COLUMNS = (N_("section"), N_("item"), N_("count"))
MAILING_WORDS = {
    "news": N_("News and recaps"),
    "invitations": N_("Meeting invitations"),
    "all": N_("Everything"),
}
NO_REASON = N_("(no reason recorded)")


def report_rows(report: CampaignReport, gettext: Callable[[str], str]) -> Iterator[list[str]]:
    """Every figure of the report as (section, item, count), in the words of `gettext`."""
    _ = gettext
    summary = _("Summary")
    yield [summary, _("Recipients"), str(report.recipients)]
    yield [summary, _("Delivered"), str(report.delivered)]
    yield [summary, _("Failed"), str(report.failed)]
    yield [summary, _("Bounced (hard)"), str(report.bounced.hard)]
    yield [summary, _("Bounced (soft)"), str(report.bounced.soft)]
    yield [summary, _("Complaints"), str(report.complaints)]
    yield [summary, _("Unsubscribed"), str(report.unsubscribed.total)]
    for reason in report.failed_reasons:
        yield [_("Failure reasons"), reason_words(reason.reason, _), str(reason.count)]
    for mailing, count in report.unsubscribed.by_mailing.items():
        words = MAILING_WORDS.get(mailing)
        yield [_("Unsubscribed"), _(words) if words else mailing, str(count)]
    if report.answers is not None:
        answers = report.answers
        section = _("Answers")
        yield [section, _("Invited"), str(answers.invited)]
        yield [section, _("Yes"), str(answers.yes)]
        yield [section, _("No"), str(answers.no)]
        yield [section, _("Waiting list"), str(answers.waiting)]
        yield [section, _("No answer yet"), str(answers.no_answer)]
        yield [section, _("Attended"), str(answers.attended)]
        for day in answers.per_day:
            yield [_("Answers per day"), day.day.isoformat(), str(day.count)]
    for province in report.provinces:
        yield [_("Reached per province"), province.name, str(province.count)]
    if report.without_province:
        yield [_("Reached per province"), _("No province recorded"), str(report.without_province)]
    for province in report.provinces_not_reached:
        yield [_("Provinces not reached"), province.name, "0"]
    if report.clicks is not None:
        for link in report.clicks:
            yield [_("Link clicks"), link.url, str(link.clicks)]
        yield [_("Link clicks"), _("All links"), str(report.clicks_total)]


def reason_words(reason: str, gettext: Callable[[str], str]) -> str:
    """A stored failure reason as the reader sees it: our own fixed reasons translated, the
    relay's words as they came."""
    if not reason:
        return gettext(NO_REASON)
    return gettext(reason) if reason in REASONS or reason == OTHER_REASONS else reason


def report_csv(report: CampaignReport, language: str = DEFAULT_LANGUAGE) -> str:
    """The whole file as text, BOM first; encode it as UTF-8 to send it."""
    _ = translator(language).gettext
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=EXPORT_DELIMITER, lineterminator="\r\n")
    writer.writerow([_(column) for column in COLUMNS])
    for row in report_rows(report, _):
        writer.writerow([protect_cell(value) for value in row])
    return "\ufeff" + buffer.getvalue()
