"""Hardening: CHECK constraints, an append-only journal, the install's mode, quotes under their key,
sandbox coupons, notice attempts

- CHECK constraints where a value can never be zero or negative (flight PP, coupon points, exchange amounts,
  journal entries never 0).
- The journal (ledger_transactions, journal_entries) refuses UPDATE and DELETE: a PostgreSQL trigger (a purge
  needs `SET LOCAL pointsbot.allow_purge = 'on'`, which only the tests' cleanup does) and SQLite triggers.
- `installation`: one row, whether this database is a sandbox (decided when the database is created).
- `pending_quotes`: the quote the user was shown, under its key, until it expires.
- `coupons.sandbox`: issued by the sandbox partner (never redeemable in a production database).
- `notices.attempts`: failed sends so far (a notice that keeps failing is closed, not retried forever).

Revision ID: 0006_hardening
Revises: 0005_flight_edits
"""
from alembic import op
import sqlalchemy as sa


revision = '0006_hardening'
down_revision = '0005_flight_edits'
branch_labels = None
depends_on = None

JOURNAL = ("ledger_transactions", "journal_entries")


def upgrade() -> None:
    with op.batch_alter_table('flights') as batch_op:
        batch_op.create_check_constraint('ck_flights_pp_positive', 'premium_points > 0')
    with op.batch_alter_table('coupons') as batch_op:
        batch_op.add_column(sa.Column('sandbox', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.create_check_constraint('ck_coupons_points_positive', 'partner_points > 0 AND reserved_points > 0')
    with op.batch_alter_table('exchanges') as batch_op:
        batch_op.create_check_constraint(
            'ck_exchanges_amounts', 'points >= 0 AND wallet_used >= 0 AND to_amount > 0 AND attempts >= 0')
    with op.batch_alter_table('journal_entries') as batch_op:
        batch_op.create_check_constraint('ck_journal_entries_not_zero', 'amount <> 0')
    with op.batch_alter_table('notices') as batch_op:
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
    op.create_table(
        'installation',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('sandbox', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('id = 1', name='ck_installation_one_row'),
    )
    op.create_table(
        'pending_quotes',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('quote_key', sa.String(length=200), nullable=False, unique=True),
        sa.Column('user_id', sa.String(length=128), nullable=False),
        sa.Column('quote', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_pending_quotes_expires_at', 'pending_quotes', ['expires_at'])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE FUNCTION pointsbot_journal_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF coalesce(current_setting('pointsbot.allow_purge', true), '') = 'on' THEN
                    RETURN NULL;
                END IF;
                RAISE EXCEPTION 'the journal is append-only: % on % refused', TG_OP, TG_TABLE_NAME
                    USING ERRCODE = 'insufficient_privilege';
            END $$
        """)
        for table in JOURNAL:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {table} "
                       f"FOR EACH STATEMENT EXECUTE FUNCTION pointsbot_journal_append_only()")
    else:
        for table in JOURNAL:
            for action in ("UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                           f"BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in JOURNAL:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute("DROP FUNCTION IF EXISTS pointsbot_journal_append_only()")
    else:
        for table in JOURNAL:
            for action in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action}")
    op.drop_index('ix_pending_quotes_expires_at', table_name='pending_quotes')
    op.drop_table('pending_quotes')
    op.drop_table('installation')
    with op.batch_alter_table('notices') as batch_op:
        batch_op.drop_column('attempts')
    with op.batch_alter_table('journal_entries') as batch_op:
        batch_op.drop_constraint('ck_journal_entries_not_zero', type_='check')
    with op.batch_alter_table('exchanges') as batch_op:
        batch_op.drop_constraint('ck_exchanges_amounts', type_='check')
    with op.batch_alter_table('coupons') as batch_op:
        batch_op.drop_constraint('ck_coupons_points_positive', type_='check')
        batch_op.drop_column('sandbox')
    with op.batch_alter_table('flights') as batch_op:
        batch_op.drop_constraint('ck_flights_pp_positive', type_='check')
