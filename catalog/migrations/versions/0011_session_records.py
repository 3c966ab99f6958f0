"""The session record (issue 17): the projection of minutes, feedback and reply rows.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'record_rows',
        sa.Column('ledger', sa.String(length=64), nullable=False),
        sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('actor', sa.String(length=160), nullable=False),
        sa.Column('nonce', sa.String(length=64), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('at_event', sa.DateTime(timezone=True), nullable=False),
        sa.Column('late_entry', sa.Boolean(), nullable=False),
        sa.Column('supersedes_seq', sa.BigInteger(), nullable=True),
        sa.Column('replies_to', sa.BigInteger(), nullable=True),
        sa.Column('body', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('ledger', 'seq'))
    with op.batch_alter_table('record_rows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_record_rows_session_id'), ['session_id'])
        batch_op.create_index(batch_op.f('ix_record_rows_nonce'), ['nonce'])


def downgrade() -> None:
    op.drop_table('record_rows')
