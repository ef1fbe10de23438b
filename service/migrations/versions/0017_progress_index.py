"""The progress index holds sent_at: a campaign's progress is read off the index

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 17:20:00

`ix_deliveries_campaign_status` (campaign_id, status) becomes (campaign_id, status, sent_at), so
the one query of a campaign's progress (counts per status and the pace from sent_at,
service/delivery/queue.py campaign_progress) reads only the index once the rows are settled,
instead of every delivery of the campaign. The counts per status read it as before.
"""

from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_deliveries_campaign_status', table_name='deliveries')
    op.create_index(
        'ix_deliveries_campaign_status', 'deliveries', ['campaign_id', 'status', 'sent_at']
    )


def downgrade() -> None:
    op.drop_index('ix_deliveries_campaign_status', table_name='deliveries')
    op.create_index('ix_deliveries_campaign_status', 'deliveries', ['campaign_id', 'status'])
