"""Attendance (issue 16): groups of members, the projection of the attendance ledger
rows, and make-up sessions naming the sessions they make up.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'member_groups',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('org_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['org_id'], ['org_nodes.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('org_id', 'name', name='uq_member_groups_org_name'))
    with op.batch_alter_table('member_groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_groups_org_id'), ['org_id'])
    op.create_table(
        'group_members',
        sa.Column('group_id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['group_id'], ['member_groups.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('group_id', 'member_id'))
    with op.batch_alter_table('group_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_members_member_id'), ['member_id'])
    op.create_table(
        'attendance_rows',
        sa.Column('ledger', sa.String(length=64), nullable=False),
        sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=True),
        sa.Column('guest_name', sa.String(length=100), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('method', sa.String(length=16), nullable=False),
        sa.Column('actor', sa.String(length=160), nullable=False),
        sa.Column('device', sa.String(length=64), nullable=False),
        sa.Column('nonce', sa.String(length=64), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('at_event', sa.DateTime(timezone=True), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('late_entry', sa.Boolean(), nullable=False),
        sa.Column('replaces_seq', sa.BigInteger(), nullable=True),
        sa.Column('refusal', sa.String(length=32), nullable=False),
        sa.Column('sheet_sha256', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('ledger', 'seq'))
    with op.batch_alter_table('attendance_rows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendance_rows_session_id'), ['session_id'])
        batch_op.create_index(batch_op.f('ix_attendance_rows_member_id'), ['member_id'])
        batch_op.create_index(batch_op.f('ix_attendance_rows_nonce'), ['nonce'])
    with op.batch_alter_table('study_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('makes_up', sa.JSON(), nullable=False,
                                      server_default='[]'))


def downgrade() -> None:
    with op.batch_alter_table('study_sessions', schema=None) as batch_op:
        batch_op.drop_column('makes_up')
    op.drop_table('attendance_rows')
    op.drop_table('group_members')
    op.drop_table('member_groups')
