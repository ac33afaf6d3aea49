"""Notice preferences: the kinds a user muted, and their quiet hours (Asia/Tokyo)

Revision ID: 0009_notice_preferences
Revises: 0008_mykey_passwords
"""
from alembic import op
import sqlalchemy as sa


revision = '0009_notice_preferences'
down_revision = '0008_mykey_passwords'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user_profiles') as batch_op:
        batch_op.add_column(sa.Column('muted_notices', sa.Text(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('quiet_from', sa.String(5), nullable=True))
        batch_op.add_column(sa.Column('quiet_until', sa.String(5), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('user_profiles') as batch_op:
        batch_op.drop_column('quiet_until')
        batch_op.drop_column('quiet_from')
        batch_op.drop_column('muted_notices')
