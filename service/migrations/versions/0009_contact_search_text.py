"""Contacts keep their name and organisation folded for searching (search_text)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 21:30:00
"""

from alembic import op
import sqlalchemy as sa

from service.search_text import contact_search_text


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# Contacts folded and written per round, so a large list never sits in memory at once.
_BATCH = 1000


def upgrade() -> None:
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_text', sa.Text(), server_default='', nullable=False))
    contacts = sa.table(
        'contacts',
        sa.column('id', sa.Integer),
        sa.column('name', sa.String),
        sa.column('organisation', sa.String),
        sa.column('search_text', sa.Text),
    )
    connection = op.get_bind()
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(contacts.c.id, contacts.c.name, contacts.c.organisation)
            .where(contacts.c.id > last_id)
            .order_by(contacts.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            break
        connection.execute(
            contacts.update()
            .where(contacts.c.id == sa.bindparam('contact_id'))
            .values(search_text=sa.bindparam('folded')),
            [
                {'contact_id': row.id, 'folded': contact_search_text(row.name, row.organisation)}
                for row in rows
            ],
        )
        last_id = rows[-1].id


def downgrade() -> None:
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_column('search_text')
