"""MyKey ID + password: argon2id hashes per MyKey ID, and login attempts for the per-account and per-user limits

Revision ID: 0008_mykey_passwords
Revises: 0007_card_login
"""
from alembic import op
import sqlalchemy as sa


revision = '0008_mykey_passwords'
down_revision = '0007_card_login'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'mykey_passwords',
        sa.Column('mykey_id', sa.String(32), primary_key=True),
        sa.Column('password_hash', sa.String(200), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        'login_attempts',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('key', sa.String(200), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ok', sa.Boolean(), nullable=False),
    )
    op.create_index('ix_login_attempts_key_at', 'login_attempts', ['key', 'at'])


def downgrade() -> None:
    op.drop_index('ix_login_attempts_key_at', table_name='login_attempts')
    op.drop_table('login_attempts')
    op.drop_table('mykey_passwords')
