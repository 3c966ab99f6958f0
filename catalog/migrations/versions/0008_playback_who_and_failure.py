"""The playback log names who watched and in which session (from the open row), and why
a playback failed (from the close row written since players report): the inspector's
filters (issue 14). Existing rows are filled from their ledger rows, so ``ledger verify``
finds the projection whole.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""
from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('playbacks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('member', sa.String(length=160), nullable=True))
        batch_op.add_column(sa.Column('session', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('failure', sa.String(length=16), nullable=False,
                                      server_default=''))
        batch_op.create_index(batch_op.f('ix_playbacks_member'), ['member'], unique=False)
        batch_op.create_index(batch_op.f('ix_playbacks_session'), ['session'], unique=False)
    bind = op.get_bind()
    opened = bind.execute(sa.text(
        "SELECT ledger, seq, payload FROM ledger WHERE kind = 'playback.open'"))
    for ledger, seq, payload in opened.all():
        data = json.loads(payload)["data"]
        if data.get("member") is None and data.get("session") is None:
            continue
        bind.execute(sa.text("UPDATE playbacks SET member = :m, session = :s "
                             "WHERE ledger = :l AND open_seq = :q"),
                     {"m": data.get("member"), "s": data.get("session"), "l": ledger,
                      "q": seq})


def downgrade() -> None:
    with op.batch_alter_table('playbacks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_playbacks_session'))
        batch_op.drop_index(batch_op.f('ix_playbacks_member'))
        batch_op.drop_column('failure')
        batch_op.drop_column('session')
        batch_op.drop_column('member')
