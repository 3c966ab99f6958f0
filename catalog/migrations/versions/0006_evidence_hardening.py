"""Evidence hardening: playbacks keyed by (ledger, open_seq); a checkpoint says why it was
signed; the database refuses a ledger row that does not continue its chain, and a
checkpoint that does not come after the previous one.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

GENESIS = "0" * 64
PLAYBACK_COLUMNS = ("open_seq, ledger, station, client, user_agent, item_id, title, method, "
                    "opened_at, closed_at, close_seq, bytes_sent, seconds, ended_by")


def _rekey_playbacks(*primary: str) -> None:
    """Rebuild the playbacks table with another primary key (SQLite cannot alter one)."""
    op.rename_table('playbacks', 'playbacks_old')
    for index in ("item_id", "opened_at", "station"):
        op.drop_index(f"ix_playbacks_{index}", table_name='playbacks_old')
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE playbacks_old DROP CONSTRAINT pk_playbacks")
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
    sa.PrimaryKeyConstraint(*primary, name=op.f('pk_playbacks'))
    )
    op.execute(f"INSERT INTO playbacks ({PLAYBACK_COLUMNS}) "
               f"SELECT {PLAYBACK_COLUMNS} FROM playbacks_old")
    op.drop_table('playbacks_old')
    op.create_index(op.f('ix_playbacks_item_id'), 'playbacks', ['item_id'], unique=False)
    op.create_index(op.f('ix_playbacks_opened_at'), 'playbacks', ['opened_at'], unique=False)
    op.create_index(op.f('ix_playbacks_station'), 'playbacks', ['station'], unique=False)


def upgrade() -> None:
    _rekey_playbacks("ledger", "open_seq")
    # A plain ADD COLUMN: a batch rebuild would drop the table's append-only triggers.
    op.add_column('ledger_checkpoints', sa.Column('reason', sa.String(length=16),
                                                  nullable=False, server_default=''))
    if op.get_bind().dialect.name == "postgresql":
        # The hash is checked too: PostgreSQL has SHA-256 built in (SQLite has none).
        op.execute(f"""
            CREATE FUNCTION yuanjiao_ledger_continues() RETURNS trigger AS $$
            DECLARE last_seq bigint; last_hash text;
            BEGIN
              SELECT seq, hash INTO last_seq, last_hash FROM ledger
                WHERE ledger = NEW.ledger ORDER BY seq DESC LIMIT 1;
              IF NEW.seq <> COALESCE(last_seq, 0) + 1
                 OR NEW.prev_hash <> COALESCE(last_hash, '{GENESIS}')
                 OR NEW.hash <> encode(sha256(convert_to(NEW.prev_hash || NEW.payload,
                                                         'UTF8')), 'hex') THEN
                RAISE EXCEPTION 'ledger %: row % does not continue the chain (head is %)',
                  NEW.ledger, NEW.seq, COALESCE(last_seq, 0);
              END IF;
              RETURN NEW;
            END $$ LANGUAGE plpgsql""")
        op.execute("CREATE TRIGGER ledger_continues BEFORE INSERT ON ledger "
                   "FOR EACH ROW EXECUTE FUNCTION yuanjiao_ledger_continues()")
        op.execute("""
            CREATE FUNCTION yuanjiao_checkpoint_follows() RETURNS trigger AS $$
            BEGIN
              IF NEW.seq <= COALESCE((SELECT max(seq) FROM ledger_checkpoints
                                      WHERE ledger = NEW.ledger), 0)
                 OR NEW.seq > COALESCE((SELECT max(seq) FROM ledger
                                        WHERE ledger = NEW.ledger), 0) THEN
                RAISE EXCEPTION 'ledger %: checkpoint % does not follow the last one',
                  NEW.ledger, NEW.seq;
              END IF;
              RETURN NEW;
            END $$ LANGUAGE plpgsql""")
        op.execute("CREATE TRIGGER ledger_checkpoints_follow BEFORE INSERT ON "
                   "ledger_checkpoints FOR EACH ROW EXECUTE FUNCTION "
                   "yuanjiao_checkpoint_follows()")
    else:
        op.execute(f"""
            CREATE TRIGGER ledger_continues BEFORE INSERT ON ledger
            WHEN NEW.seq <> COALESCE((SELECT max(seq) FROM ledger
                                      WHERE ledger = NEW.ledger), 0) + 1
              OR NEW.prev_hash <> COALESCE((SELECT hash FROM ledger WHERE ledger = NEW.ledger
                                            ORDER BY seq DESC LIMIT 1), '{GENESIS}')
            BEGIN SELECT RAISE(ABORT, 'append-only: a ledger row must continue the chain');
            END""")
        op.execute("""
            CREATE TRIGGER ledger_checkpoints_follow BEFORE INSERT ON ledger_checkpoints
            WHEN NEW.seq <= COALESCE((SELECT max(seq) FROM ledger_checkpoints
                                      WHERE ledger = NEW.ledger), 0)
              OR NEW.seq > COALESCE((SELECT max(seq) FROM ledger
                                     WHERE ledger = NEW.ledger), 0)
            BEGIN SELECT RAISE(ABORT, 'append-only: a checkpoint must follow the last one');
            END""")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS ledger_continues ON ledger")
        op.execute("DROP TRIGGER IF EXISTS ledger_checkpoints_follow ON ledger_checkpoints")
        op.execute("DROP FUNCTION IF EXISTS yuanjiao_ledger_continues()")
        op.execute("DROP FUNCTION IF EXISTS yuanjiao_checkpoint_follows()")
    else:
        op.execute("DROP TRIGGER IF EXISTS ledger_continues")
        op.execute("DROP TRIGGER IF EXISTS ledger_checkpoints_follow")
    op.drop_column('ledger_checkpoints', 'reason')
    _rekey_playbacks("open_seq")
