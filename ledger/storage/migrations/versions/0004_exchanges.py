"""exchanges: the exchange saga's rows (pending → debited → done, or failed / reversed)

Revision ID: 0004_exchanges
Revises: 0003_points_flow
"""
from alembic import op
import sqlalchemy as sa


revision = '0004_exchanges'
down_revision = '0003_points_flow'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'exchanges',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('idempotency_key', sa.String(length=200), nullable=False),
        sa.Column('user_id', sa.String(length=128), nullable=False),
        sa.Column('partner', sa.String(length=32), nullable=False),
        sa.Column('points', sa.BigInteger(), nullable=False),
        sa.Column('wallet_used', sa.BigInteger(), nullable=False),
        sa.Column('destination', sa.String(length=64), nullable=False),
        sa.Column('to_amount', sa.BigInteger(), nullable=False),
        sa.Column('quote', sa.Text(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('outcome', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('idempotency_key'),
    )
    with op.batch_alter_table('exchanges', schema=None) as batch_op:
        batch_op.create_index('ix_exchanges_state_updated', ['state', 'updated_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_exchanges_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('exchanges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exchanges_user_id'))
        batch_op.drop_index('ix_exchanges_state_updated')
    op.drop_table('exchanges')
