"""Planning: plans, town-wide activity-day rules, study sessions, their playlists and
must-watch items.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('activity_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('town_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=32), nullable=False),
    sa.Column('start_minute', sa.Integer(), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['town_id'], ['org_nodes.id'], name=op.f('fk_activity_rules_town_id_org_nodes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity_rules'))
    )
    with op.batch_alter_table('activity_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activity_rules_town_id'), ['town_id'], unique=False)
    op.create_table('plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('node_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=8), nullable=False),
    sa.Column('focus', sa.JSON(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['node_id'], ['org_nodes.id'], name=op.f('fk_plans_node_id_org_nodes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plans')),
    sa.UniqueConstraint('node_id', 'year', 'period', name='uq_plans_node_period')
    )
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plans_node_id'), ['node_id'], unique=False)
    op.create_table('study_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('station_id', sa.Integer(), nullable=True),
    sa.Column('rule_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('group_name', sa.String(length=100), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('moved', sa.Boolean(), nullable=False),
    sa.Column('notice', sa.Text(), nullable=False),
    sa.Column('notice_published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('topics', sa.JSON(), nullable=False),
    sa.Column('discussion_minutes', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['org_nodes.id'], name=op.f('fk_study_sessions_org_id_org_nodes')),
    sa.ForeignKeyConstraint(['rule_id'], ['activity_rules.id'], name=op.f('fk_study_sessions_rule_id_activity_rules')),
    sa.ForeignKeyConstraint(['station_id'], ['org_nodes.id'], name=op.f('fk_study_sessions_station_id_org_nodes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_study_sessions'))
    )
    with op.batch_alter_table('study_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_study_sessions_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_study_sessions_rule_id'), ['rule_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_study_sessions_starts_at'), ['starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_study_sessions_station_id'), ['station_id'], unique=False)
    op.create_table('must_watch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('issued_by', sa.Integer(), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('node_ids', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['issued_by'], ['org_nodes.id'], name=op.f('fk_must_watch_issued_by_org_nodes')),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_must_watch_item_id_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_must_watch'))
    )
    with op.batch_alter_table('must_watch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_must_watch_deadline'), ['deadline'], unique=False)
        batch_op.create_index(batch_op.f('ix_must_watch_item_id'), ['item_id'], unique=False)
    op.create_table('playlist_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_playlist_entries_item_id_items')),
    sa.ForeignKeyConstraint(['session_id'], ['study_sessions.id'], name=op.f('fk_playlist_entries_session_id_study_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_playlist_entries'))
    )
    with op.batch_alter_table('playlist_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_playlist_entries_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_playlist_entries_session_id'), ['session_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('playlist_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_playlist_entries_session_id'))
        batch_op.drop_index(batch_op.f('ix_playlist_entries_item_id'))
    op.drop_table('playlist_entries')
    with op.batch_alter_table('must_watch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_must_watch_item_id'))
        batch_op.drop_index(batch_op.f('ix_must_watch_deadline'))
    op.drop_table('must_watch')
    with op.batch_alter_table('study_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_study_sessions_station_id'))
        batch_op.drop_index(batch_op.f('ix_study_sessions_starts_at'))
        batch_op.drop_index(batch_op.f('ix_study_sessions_rule_id'))
        batch_op.drop_index(batch_op.f('ix_study_sessions_org_id'))
    op.drop_table('study_sessions')
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plans_node_id'))
    op.drop_table('plans')
    with op.batch_alter_table('activity_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activity_rules_town_id'))
    op.drop_table('activity_rules')
