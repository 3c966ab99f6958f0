"""Reports (issue 18): the projection of submitted report cards, and an index for
matching playbacks to sessions by station and time, and one for finding the
marks a correction replaced.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'report_cards',
        sa.Column('ledger', sa.String(length=64), nullable=False),
        sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('org_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('actor', sa.String(length=160), nullable=False),
        sa.Column('nonce', sa.String(length=64), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('late', sa.Boolean(), nullable=False),
        sa.Column('supersedes_seq', sa.BigInteger(), nullable=True),
        sa.Column('body', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('ledger', 'seq'))
    with op.batch_alter_table('report_cards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_cards_org_id'), ['org_id'])
        batch_op.create_index(batch_op.f('ix_report_cards_month'), ['month'])
        batch_op.create_index(batch_op.f('ix_report_cards_nonce'), ['nonce'])
    with op.batch_alter_table('playbacks', schema=None) as batch_op:
        batch_op.create_index('ix_playbacks_station_opened_at', ['station', 'opened_at'])
    with op.batch_alter_table('attendance_rows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendance_rows_replaces_seq'), ['replaces_seq'])


def downgrade() -> None:
    with op.batch_alter_table('attendance_rows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendance_rows_replaces_seq'))
    with op.batch_alter_table('playbacks', schema=None) as batch_op:
        batch_op.drop_index('ix_playbacks_station_opened_at')
    op.drop_table('report_cards')
