"""Campaign languages: the language a campaign is written in, and its versions in others

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-16 10:00:00

- `campaigns.language`, `campaign_templates.language`: the language of the content and of the
  email's framing; existing ones were written in Dutch.
- `campaigns.translations`, `campaign_templates.translations`: {"en": {"subject", "preheader",
  "blocks"}}, the version readers of that language get (service/rendering/versions.py).
"""

from alembic import op
import sqlalchemy as sa

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

TABLES = ('campaigns', 'campaign_templates')


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column('language', sa.String(length=8), server_default='nl', nullable=False)
            )
            batch.add_column(
                sa.Column('translations', sa.JSON(), server_default='{}', nullable=False)
            )


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column('translations')
            batch.drop_column('language')
