"""Card login: pairing codes (hashed), single-use challenges, login sessions bound to the MyKey ID

Revision ID: 0007_card_login
Revises: 0006_hardening
"""
from alembic import op
import sqlalchemy as sa


revision = '0007_card_login'
down_revision = '0006_hardening'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'card_pairings',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('code_hash', sa.String(64), nullable=False, unique=True),
        sa.Column('user_id', sa.String(128), nullable=False, index=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        'card_challenges',
        sa.Column('id', sa.String(32), primary_key=True),
        sa.Column('pairing_id', sa.Integer(), sa.ForeignKey('card_pairings.id'), nullable=False, index=True),
        sa.Column('challenge', sa.LargeBinary(64), nullable=False),
        sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        'login_sessions',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('user_id', sa.String(128), nullable=False),
        sa.Column('mykey_id', sa.String(32), nullable=False),
        sa.Column('method', sa.String(16), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index('ix_login_sessions_user', 'login_sessions', ['user_id', 'ended_at'])


def downgrade() -> None:
    op.drop_index('ix_login_sessions_user', table_name='login_sessions')
    op.drop_table('login_sessions')
    op.drop_table('card_challenges')
    op.drop_table('card_pairings')
