"""A campaign's status reason is a code with parameters, put into words when it is shown

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-12 10:00:00

`campaigns.status_reason` held English prose that the scheduler read back ("It was due at ...")
and that Dutch pages showed as it was. It becomes `status_reason_code` plus
`status_reason_params` (service/campaigns/lifecycle.py puts them into the reader's words). The
sentences earlier versions wrote are read back into their codes here; any other text (what a
relay said, mostly) is kept whole as the relay's words, shown as it came.

The downgrade writes the English sentences back.
"""

import re

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

_BATCH = 1000

# The sentences versions up to 0010 wrote, newest wording first, and the code each stands for.
# A copy as of this revision: the words in service/ may change, these rows were written so.
_SENTENCES = [
    (
        'due-too-late',
        r'It was due at (?P<due_at>\S+), more than 6 hours before the scheduler could start it; '
        r'start it or schedule it again\.',
    ),
    ('start-refused', r'It could not start at its scheduled time: (?P<cause>.*)'),
    ('not-rendered', r'The email could not be rendered, so nothing was sent: (?P<error>.*)'),
    (
        'checks-failed',
        r'The checks before sending found (?P<count>\d+) error\(s\), so nothing was sent\. '
        r'Mend them in the composer first\.',
    ),
    ('failures-in-a-row', r'(?P<count>\d+) failures in a row; the last: (?P<reply>.*)'),
    ('meeting-closed', r'the meeting can no longer be answered: (?P<why>.*)'),
    ('render-failed', r'the email could not be rendered: (?P<error>.*)'),
]
_PATTERNS = [(code, re.compile(pattern, re.DOTALL)) for code, pattern in _SENTENCES]

# The checks' English words for a meeting that cannot be answered (service/campaigns/lint.py).
_CHECKS = {
    'The meeting has been cancelled; no invitation or reminder can go out for it.':
        'meeting-cancelled',
    'The meeting has already taken place; no invitation or reminder can go out for it.':
        'meeting-over',
    'The meeting is still a draft and cannot be answered; publish it first.':
        'meeting-not-published',
    'Registration for the meeting has closed, so nobody can answer this email. Move the '
    'registration deadline on the meeting page, or send a reminder only to those who said yes.':
        'meeting-deadline',
    'Choose the meeting this email is about; without it nobody can answer.': 'meeting-missing',
}

# For the way back: the English sentence of each code, as versions up to 0010 wrote it.
_ENGLISH = {
    'due-too-late': 'It was due at {due_at}, more than 6 hours before the scheduler could start '
    'it; start it or schedule it again.',
    'start-refused': 'It could not start at its scheduled time: {cause}',
    'not-rendered': 'The email could not be rendered, so nothing was sent: {error}',
    'checks-failed': 'The checks before sending found {count} error(s), so nothing was sent. '
    'Mend them in the composer first.',
    'failures-in-a-row': '{count} failures in a row; the last: {reply}',
    'meeting-closed': 'the meeting can no longer be answered: {why}',
    'render-failed': 'the email could not be rendered: {error}',
}


def reason_of_text(text):
    """The (code, params) an old sentence stands for; ('', {}) for none."""
    if not text:
        return '', {}
    for code, pattern in _PATTERNS:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        params = match.groupdict()
        if code == 'start-refused':
            cause_code, cause_params = reason_of_text(params['cause'])
            return code, {'cause': {'code': cause_code, 'params': cause_params}}
        if code == 'meeting-closed':
            check = _CHECKS.get(params['why'])
            if check is None:
                break
            return code, {'check': check}
        if 'count' in params:
            params['count'] = int(params['count'])
        return code, params
    # Anything else is what a relay (or the transport talking to it) said: kept whole.
    return 'relay-said', {'reply': text}


def text_of_reason(code, params):
    """The English sentence versions up to 0010 wrote for (code, params)."""
    if not code:
        return ''
    if code == 'relay-said' or code not in _ENGLISH:
        return str(params.get('reply', ''))
    values = dict(params)
    if code == 'start-refused':
        cause = values.get('cause') or {}
        values['cause'] = text_of_reason(cause.get('code', ''), cause.get('params') or {})
    if code == 'meeting-closed':
        checks = {check: words for words, check in _CHECKS.items()}
        check = values.get('check', '')
        values['why'] = checks.get(check, check)
    try:
        return _ENGLISH[code].format(**values)
    except KeyError:
        return code


def _campaigns(*columns):
    return sa.table('campaigns', sa.column('id', sa.Integer), *columns)


def _rounds(connection, table, columns, where):
    """The rows of campaigns that `where` picks, in rounds of _BATCH, by id."""
    last = 0
    while True:
        rows = connection.execute(
            sa.select(table.c.id, *columns)
            .where(where, table.c.id > last)
            .order_by(table.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def upgrade() -> None:
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('status_reason_code', sa.String(length=40), nullable=False, server_default='')
        )
        batch_op.add_column(
            sa.Column('status_reason_params', sa.JSON(), nullable=False, server_default='{}')
        )
    connection = op.get_bind()
    table = _campaigns(
        sa.column('status_reason', sa.Text),
        sa.column('status_reason_code', sa.String),
        sa.column('status_reason_params', sa.JSON),
    )
    reasons = table.c.status_reason
    for rows in _rounds(connection, table, [reasons], reasons != ''):
        for campaign_id, text in rows:
            code, params = reason_of_text(text)
            connection.execute(
                table.update()
                .where(table.c.id == campaign_id)
                .values(status_reason_code=code, status_reason_params=params)
            )
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('status_reason')


def downgrade() -> None:
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('status_reason', sa.Text(), nullable=False, server_default='')
        )
    connection = op.get_bind()
    table = _campaigns(
        sa.column('status_reason', sa.Text),
        sa.column('status_reason_code', sa.String),
        sa.column('status_reason_params', sa.JSON),
    )
    codes, params_column = table.c.status_reason_code, table.c.status_reason_params
    for rows in _rounds(connection, table, [codes, params_column], codes != ''):
        for campaign_id, code, params in rows:
            connection.execute(
                table.update()
                .where(table.c.id == campaign_id)
                .values(status_reason=text_of_reason(code, params or {})[:2000])
            )
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('status_reason_params')
        batch_op.drop_column('status_reason_code')
