"""points flow: coupons, coupon attempts, user profiles (home municipality), notices outbox

Revision ID: 0003_points_flow
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa


revision = '0003_points_flow'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'coupons',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('partner', sa.String(length=32), nullable=False),
        sa.Column('partner_points', sa.BigInteger(), nullable=False),
        sa.Column('reserved_points', sa.BigInteger(), nullable=False),
        sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('redeemed_by', sa.String(length=128), nullable=True),
        sa.Column('redeemed_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('code'),
    )
    op.create_table(
        'coupon_attempts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.String(length=128), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ok', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_coupon_attempts_user_at', 'coupon_attempts', ['user_id', 'at'])
    op.create_table(
        'user_profiles',
        sa.Column('user_id', sa.String(length=128), nullable=False),
        sa.Column('home_municipality', sa.String(length=64), nullable=True),
        sa.Column('locale', sa.String(length=8), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('user_id'),
    )
    op.create_table(
        'notices',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.String(length=128), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('dedupe_key', sa.String(length=200), nullable=False),
        sa.Column('payload', sa.Text(), nullable=False),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('dedupe_key'),
    )
    op.create_index('ix_notices_due', 'notices', ['sent_at', 'due_at'])
    op.create_index('ix_notices_user_id', 'notices', ['user_id'])


def downgrade() -> None:
    op.drop_index('ix_notices_user_id', table_name='notices')
    op.drop_index('ix_notices_due', table_name='notices')
    op.drop_table('notices')
    op.drop_table('user_profiles')
    op.drop_index('ix_coupon_attempts_user_at', table_name='coupon_attempts')
    op.drop_table('coupon_attempts')
    op.drop_table('coupons')
