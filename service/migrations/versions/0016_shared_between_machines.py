"""Shared between machines: image and photo bytes, the generated secret key, running processes

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 17:00:00

- `media_blobs`: the bytes of each uploaded image by its public file name, so any web process
  serves any image. Images kept in an instance folder before this revision are moved in by
  `opgavepost media import-files`, or one by one the first time they are asked for on the
  machine that has them (service/media/storage.py).
- `card_photos`: the bytes of each card photo, for the same reason; those kept in an instance
  folder move in the same two ways.
- `instance_secrets`: the SECRET_KEY generated when the environment sets none; the first process
  after this revision moves the instance folder's key in, so existing links stay valid.
- `process_heartbeats`: each running process with a fingerprint of its key, so one that starts
  with another key can say so.
"""

from alembic import op
import sqlalchemy as sa

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('media_blobs',
    sa.Column('filename', sa.String(length=100), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('filename', name=op.f('pk_media_blobs'))
    )
    op.create_table('card_photos',
    sa.Column('filename', sa.String(length=100), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('filename', name=op.f('pk_card_photos'))
    )
    op.create_table('instance_secrets',
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_instance_secrets'))
    )
    op.create_table('process_heartbeats',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=False),
    sa.Column('key_fingerprint', sa.String(length=16), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_process_heartbeats'))
    )
    op.create_index(
        op.f('ix_process_heartbeats_seen_at'), 'process_heartbeats', ['seen_at'], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f('ix_process_heartbeats_seen_at'), table_name='process_heartbeats')
    op.drop_table('process_heartbeats')
    op.drop_table('instance_secrets')
    op.drop_table('card_photos')
    op.drop_table('media_blobs')
