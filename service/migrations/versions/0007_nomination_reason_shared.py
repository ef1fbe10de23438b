"""Nominations remember whether the nominator agreed to share the reason with the nominee

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 18:40:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nominations made before this column existed were never agreed to be shared.
    with op.batch_alter_table('nominations', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('reason_shared', sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table('nominations', schema=None) as batch_op:
        batch_op.drop_column('reason_shared')
