"""Campaign templates: a campaign's kind, subject, preheader and blocks kept under a name

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-15 10:00:00

- `campaign_templates`: "Opslaan als sjabloon" keeps a campaign's content under a unique name;
  "Nieuwe campagne" starts a campaign from it.
"""

from alembic import op
import sqlalchemy as sa

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('campaign_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.Enum('recap', 'invitation', 'reminder', 'announcement', name='campaign_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('preheader', sa.String(length=300), nullable=False),
    sa.Column('blocks', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_campaign_templates_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_templates')),
    sa.UniqueConstraint('name', name=op.f('uq_campaign_templates_name'))
    )


def downgrade() -> None:
    op.drop_table('campaign_templates')
