"""Station tokens kept as a SHA-256 digest and the salt they are derived from
(catalog/org/station_tokens.py), no longer as themselves. A token issued before keeps
working (its digest is computed here); it has no salt, so it cannot be shown again.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""
from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('org_nodes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('station_token_digest', sa.String(length=64),
                                      nullable=True))
        batch_op.add_column(sa.Column('station_token_salt', sa.String(length=32),
                                      nullable=True))
    bind = op.get_bind()
    issued = bind.execute(sa.text(
        "SELECT id, station_token FROM org_nodes WHERE station_token IS NOT NULL")).all()
    for node_id, token in issued:
        bind.execute(sa.text("UPDATE org_nodes SET station_token_digest = :d WHERE id = :i"),
                     {"d": hashlib.sha256(token.encode()).hexdigest(), "i": node_id})
    with op.batch_alter_table('org_nodes', schema=None) as batch_op:
        batch_op.drop_constraint('uq_org_nodes_station_token', type_='unique')
        batch_op.drop_column('station_token')
        batch_op.create_unique_constraint(op.f('uq_org_nodes_station_token_digest'),
                                          ['station_token_digest'])


def downgrade() -> None:
    # The tokens themselves are not kept: after a downgrade every station needs a new one.
    with op.batch_alter_table('org_nodes', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('uq_org_nodes_station_token_digest'), type_='unique')
        batch_op.drop_column('station_token_salt')
        batch_op.drop_column('station_token_digest')
        batch_op.add_column(sa.Column('station_token', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint('uq_org_nodes_station_token', ['station_token'])
