"""catalog: items, roots, scans, errors, overrides

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-29
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('library_roots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_scan_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_library_roots')),
    sa.UniqueConstraint('path', name=op.f('uq_library_roots_path'))
    )
    op.create_table('scan_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('roots', sa.JSON(), nullable=False),
    sa.Column('added', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('moved', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.Column('removed', sa.Integer(), nullable=False),
    sa.Column('errors', sa.Integer(), nullable=False),
    sa.Column('probed', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scan_runs'))
    )
    op.create_table('items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('root_id', sa.Integer(), nullable=False),
    sa.Column('rel_path', sa.Text(), nullable=False),
    sa.Column('rel_path_raw', sa.LargeBinary(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('title_source', sa.String(length=16), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('theme', sa.String(length=16), nullable=False),
    sa.Column('rule_theme', sa.String(length=16), nullable=False),
    sa.Column('theme_reason', sa.Text(), nullable=False),
    sa.Column('theme_confidence', sa.Float(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('mtime_ns', sa.BigInteger(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('duration', sa.Float(), nullable=True),
    sa.Column('container', sa.String(length=64), nullable=False),
    sa.Column('video_codec', sa.String(length=32), nullable=False),
    sa.Column('audio_codec', sa.String(length=32), nullable=False),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('streams', sa.JSON(), nullable=False),
    sa.Column('browser_playable', sa.Boolean(), nullable=False),
    sa.Column('missing_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['root_id'], ['library_roots.id'], name=op.f('fk_items_root_id_library_roots')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_items')),
    sa.UniqueConstraint('root_id', 'rel_path_raw', name='uq_items_root_path')
    )
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_items_fingerprint'), ['fingerprint'], unique=False)
        batch_op.create_index(batch_op.f('ix_items_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_items_root_id'), ['root_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_items_theme'), ['theme'], unique=False)

    op.create_table('scan_errors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('root_id', sa.Integer(), nullable=False),
    sa.Column('rel_path', sa.Text(), nullable=False),
    sa.Column('rel_path_raw', sa.LargeBinary(), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=True),
    sa.Column('mtime_ns', sa.BigInteger(), nullable=True),
    sa.Column('scan_id', sa.Integer(), nullable=True),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['root_id'], ['library_roots.id'], name=op.f('fk_scan_errors_root_id_library_roots')),
    sa.ForeignKeyConstraint(['scan_id'], ['scan_runs.id'], name=op.f('fk_scan_errors_scan_id_scan_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scan_errors')),
    sa.UniqueConstraint('root_id', 'rel_path_raw', name='uq_scan_errors_root_path')
    )
    with op.batch_alter_table('scan_errors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scan_errors_root_id'), ['root_id'], unique=False)

    op.create_table('theme_overrides',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('theme', sa.String(length=16), nullable=False),
    sa.Column('set_by', sa.String(length=64), nullable=False),
    sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_theme_overrides_item_id_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_theme_overrides')),
    sa.UniqueConstraint('item_id', name=op.f('uq_theme_overrides_item_id'))
    )


def downgrade() -> None:
    op.drop_table('theme_overrides')
    with op.batch_alter_table('scan_errors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scan_errors_root_id'))

    op.drop_table('scan_errors')
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_items_theme'))
        batch_op.drop_index(batch_op.f('ix_items_root_id'))
        batch_op.drop_index(batch_op.f('ix_items_kind'))
        batch_op.drop_index(batch_op.f('ix_items_fingerprint'))

    op.drop_table('items')
    op.drop_table('scan_runs')
    op.drop_table('library_roots')
