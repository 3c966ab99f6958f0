"""Discs: DVD-Video, VCD and data disc images; items know their disc, title and bytes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('discs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('root_id', sa.Integer(), nullable=False),
    sa.Column('rel_path', sa.Text(), nullable=False),
    sa.Column('rel_path_raw', sa.LargeBinary(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('layout', sa.String(length=16), nullable=False),
    sa.Column('label', sa.Text(), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('mtime_ns', sa.BigInteger(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('skipped', sa.JSON(), nullable=False),
    sa.Column('missing_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['root_id'], ['library_roots.id'], name=op.f('fk_discs_root_id_library_roots')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_discs')),
    sa.UniqueConstraint('root_id', 'rel_path_raw', name='uq_discs_root_path')
    )
    with op.batch_alter_table('discs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_discs_fingerprint'), ['fingerprint'], unique=False)
        batch_op.create_index(batch_op.f('ix_discs_root_id'), ['root_id'], unique=False)

    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('disc_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('disc_index', sa.Integer(), nullable=True))
        # Items catalogued before discs existed come from plain files: no disc data.
        batch_op.add_column(sa.Column('disc_path', sa.Text(), nullable=False,
                                      server_default=sa.text("''")))
        batch_op.add_column(sa.Column('chapters', sa.JSON(), nullable=False,
                                      server_default=sa.text("'[]'")))
        batch_op.add_column(sa.Column('locator', sa.JSON(), nullable=False,
                                      server_default=sa.text("'{}'")))
        batch_op.create_index(batch_op.f('ix_items_disc_id'), ['disc_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_items_disc_id_discs'), 'discs', ['disc_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_items_disc_id_discs'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_items_disc_id'))
        batch_op.drop_column('locator')
        batch_op.drop_column('chapters')
        batch_op.drop_column('disc_path')
        batch_op.drop_column('disc_index')
        batch_op.drop_column('disc_id')

    with op.batch_alter_table('discs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_discs_root_id'))
        batch_op.drop_index(batch_op.f('ix_discs_fingerprint'))

    op.drop_table('discs')
