"""Voice replies: a Telegram user who asked for spoken answers gets them as voice notes

Revision ID: 0011_voice_replies
Revises: 0010_notice_dispatch
"""
from alembic import op
import sqlalchemy as sa


revision = '0011_voice_replies'
down_revision = '0010_notice_dispatch'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user_profiles') as batch_op:
        batch_op.add_column(sa.Column('voice_replies', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('user_profiles') as batch_op:
        batch_op.drop_column('voice_replies')
