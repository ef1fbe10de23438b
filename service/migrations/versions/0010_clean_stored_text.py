"""Text stored before the intake rules is mended: one-line fields on one line, no control characters

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 10:00:00

Before service/text.py, a name typed with Alt+Enter in Excel or a line break sent through the API
or the signup form was stored as it came, and every message to that person then failed for ever
("To name holds a line break"); VT, FF and FS went raw into Subject, From and To headers. New
input is cleaned or refused at intake; this mends what is stored already, table by table, in
rounds so a large table never sits in memory at once. Only rows that change are written.
Contacts keep their search_text in step with the mended name and organisation.

There is no way back: the downgrade leaves the mended text as it is.
"""

from alembic import op
import sqlalchemy as sa

from service.search_text import contact_search_text
from service.text import mend_line, mend_lines


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

_BATCH = 1000

# table -> (primary key, one-line columns, multi-line columns): the fields people type that go
# into mail headers, single lines of pages and emails, or paragraphs.
_TEXT = {
    'contacts': ('id', ('name', 'organisation', 'role', 'consent_source'), ('notes',)),
    'signup_requests': ('id', ('name', 'organisation', 'role'), ()),
    'users': ('id', ('name',), ()),
    'api_tokens': ('id', ('name',), ()),
    'meetings': (
        'id',
        ('title', 'theme', 'host_organisation', 'city', 'venue', 'address'),
        ('description',),
    ),
    'campaigns': ('id', ('subject', 'preheader', 'sender_name'), ()),
    'nominations': (
        'id',
        ('nominator_name', 'nominee_name', 'nominee_organisation'),
        ('reason', 'decline_reason'),
    ),
    'host_proposals': (
        'id',
        ('organisation', 'city', 'contact_name', 'proposed_period', 'theme'),
        ('message',),
    ),
    'network_cards': ('contact_id', ('photo_alt',), ('treasure', 'brings', 'seeks')),
    'invitations': ('id', (), ('remark',)),
    'media_files': ('id', ('original_name',), ()),
}


def _mended_json(value, one_line_key=lambda key: False):
    """Every string in a JSON value mended; strings under a key that names a person on one line."""
    if isinstance(value, str):
        return mend_lines(value)
    if isinstance(value, list):
        return [_mended_json(item, one_line_key) for item in value]
    if isinstance(value, dict):
        return {
            key: mend_line(item) if isinstance(item, str) and one_line_key(key)
            else _mended_json(item, one_line_key)
            for key, item in value.items()
        }
    return value


def _rounds(connection, table, key, columns, where=None):
    """The rows of `table` in rounds of _BATCH, by primary key."""
    last = None
    while True:
        query = sa.select(table.c[key], *(table.c[name] for name in columns)).order_by(table.c[key])
        if where is not None:
            query = query.where(where)
        if last is not None:
            query = query.where(table.c[key] > last)
        rows = connection.execute(query.limit(_BATCH)).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _mend_text(connection, name, key, one_line, multi_line) -> None:
    columns = (*one_line, *multi_line)
    table = sa.table(
        name,
        sa.column(key, sa.Integer),
        *(sa.column(column, sa.Text) for column in columns),
        sa.column('search_text', sa.Text),
    )
    for rows in _rounds(connection, table, key, columns):
        changes = []
        for row in rows:
            values = row._mapping
            mended = {
                column: (mend_line if column in one_line else mend_lines)(values[column])
                for column in columns
                if values[column] is not None
            }
            changed = {c: v for c, v in mended.items() if v != values[c]}
            if not changed:
                continue
            if name == 'contacts' and {'name', 'organisation'} & set(changed):
                changed['search_text'] = contact_search_text(
                    mended.get('name'), mended.get('organisation')
                )
            changes.append((values[key], changed))
        for row_key, changed in changes:
            connection.execute(table.update().where(table.c[key] == row_key).values(**changed))


def _mend_json(connection, table, columns, one_line_key=lambda key: False, where=None) -> None:
    for rows in _rounds(connection, table, 'id', columns, where):
        for row in rows:
            values = row._mapping
            changed = {}
            for column in columns:
                mended = _mended_json(values[column], one_line_key)
                if mended != values[column]:
                    changed[column] = mended
            if changed:
                connection.execute(table.update().where(table.c.id == values['id']).values(**changed))


def upgrade() -> None:
    connection = op.get_bind()
    for name, (key, one_line, multi_line) in _TEXT.items():
        _mend_text(connection, name, key, one_line, multi_line)
    # A block's one-line fields are put on one line when read; the audience holds addresses.
    campaigns = sa.table(
        'campaigns',
        sa.column('id', sa.Integer),
        sa.column('blocks', sa.JSON),
        sa.column('audience', sa.JSON),
    )
    _mend_json(connection, campaigns, ('blocks', 'audience'))
    # Single messages (a signup confirmation, an introduction) carry the names they greet.
    deliveries = sa.table(
        'deliveries',
        sa.column('id', sa.Integer),
        sa.column('campaign_id', sa.Integer),
        sa.column('payload', sa.JSON),
    )
    _mend_json(
        connection,
        deliveries,
        ('payload',),
        one_line_key=lambda key: key.endswith('name'),
        where=deliveries.c.campaign_id.is_(None),
    )


def downgrade() -> None:
    pass
