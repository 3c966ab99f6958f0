"""Exported playlists carry tokens of their own (issue 14.3), and sessions can be
cancelled (kept, with a reason) and remember when they were last moved (14.5).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'playlist_exports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_digest', sa.String(length=64), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('station_id', sa.Integer(), nullable=False),
        sa.Column('station_token_digest', sa.String(length=64), nullable=False),
        sa.Column('issued_by', sa.String(length=160), nullable=False),
        sa.Column('issuer_role', sa.String(length=32), nullable=False),
        sa.Column('format', sa.String(length=8), nullable=False),
        sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['session_id'], ['study_sessions.id']),
        sa.ForeignKeyConstraint(['station_id'], ['org_nodes.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_digest'))
    with op.batch_alter_table('playlist_exports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_playlist_exports_session_id'), ['session_id'])
        batch_op.create_index(batch_op.f('ix_playlist_exports_station_id'), ['station_id'])
    with op.batch_alter_table('study_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('moved_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('cancel_reason', sa.Text(), nullable=False,
                                      server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('study_sessions', schema=None) as batch_op:
        batch_op.drop_column('cancel_reason')
        batch_op.drop_column('cancelled_at')
        batch_op.drop_column('moved_at')
    op.drop_table('playlist_exports')
