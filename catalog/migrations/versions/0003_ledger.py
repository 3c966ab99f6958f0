"""The evidence ledger, its checkpoints and the playbacks projection; triggers make the
ledger and its checkpoints append-only on SQLite and PostgreSQL.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

APPEND_ONLY = ("ledger", "ledger_checkpoints")


def upgrade() -> None:
    op.create_table('ledger',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ledger', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('at', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger')),
    sa.UniqueConstraint('ledger', 'seq', name='uq_ledger_ledger_seq')
    )
    op.create_index(op.f('ix_ledger_kind'), 'ledger', ['kind'], unique=False)
    op.create_table('ledger_checkpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ledger', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('at', sa.String(length=32), nullable=False),
    sa.Column('head_hash', sa.String(length=64), nullable=False),
    sa.Column('prev', sa.String(length=64), nullable=False),
    sa.Column('first_seq', sa.BigInteger(), nullable=False),
    sa.Column('row_hashes', sa.Text(), nullable=False),
    sa.Column('public_key', sa.String(length=64), nullable=False),
    sa.Column('signature', sa.String(length=128), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_checkpoints')),
    sa.UniqueConstraint('ledger', 'seq', name='uq_ledger_checkpoints_ledger_seq')
    )
    op.create_index(op.f('ix_ledger_checkpoints_code'), 'ledger_checkpoints', ['code'],
                    unique=False)
    op.create_table('ledger_locks',
    sa.Column('ledger', sa.String(length=64), nullable=False),
    sa.Column('appends', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('ledger', name=op.f('pk_ledger_locks'))
    )
    op.create_table('playbacks',
    sa.Column('open_seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('ledger', sa.String(length=64), nullable=False),
    sa.Column('station', sa.String(length=64), nullable=False),
    sa.Column('client', sa.String(length=64), nullable=False),
    sa.Column('user_agent', sa.Text(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('close_seq', sa.BigInteger(), nullable=True),
    sa.Column('bytes_sent', sa.BigInteger(), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.Column('ended_by', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('open_seq', name=op.f('pk_playbacks'))
    )
    op.create_index(op.f('ix_playbacks_item_id'), 'playbacks', ['item_id'], unique=False)
    op.create_index(op.f('ix_playbacks_opened_at'), 'playbacks', ['opened_at'], unique=False)
    op.create_index(op.f('ix_playbacks_station'), 'playbacks', ['station'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE FUNCTION yuanjiao_append_only() RETURNS trigger AS $$
            BEGIN
              RAISE EXCEPTION 'append-only: % on % is refused (corrections are new rows)',
                TG_OP, TG_TABLE_NAME;
            END $$ LANGUAGE plpgsql""")
        for table in APPEND_ONLY:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION yuanjiao_append_only()")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION yuanjiao_append_only()")
    else:
        for table in APPEND_ONLY:
            for action in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'append-only: {action} on {table} is refused "
                    "(corrections are new rows)'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS yuanjiao_append_only()")
    op.drop_table('playbacks')
    op.drop_table('ledger_locks')
    op.drop_table('ledger_checkpoints')
    op.drop_table('ledger')
