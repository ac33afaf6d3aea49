"""Notice dispatch: how each notice ended, the send in flight, its claimer, unreachable users, the send budget

Revision ID: 0010_notice_dispatch
Revises: 0009_notice_preferences
"""
from alembic import op
import sqlalchemy as sa


revision = '0010_notice_dispatch'
down_revision = '0009_notice_preferences'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('notices') as batch_op:
        batch_op.add_column(sa.Column('outcome', sa.String(16), nullable=True))
        batch_op.add_column(sa.Column('claimed_by', sa.String(40), nullable=True))
        batch_op.add_column(sa.Column('sending_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE notices SET outcome = 'sent' WHERE sent_at IS NOT NULL")
    with op.batch_alter_table('user_profiles') as batch_op:
        batch_op.add_column(sa.Column('unreachable_since', sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        'send_budgets',
        sa.Column('channel', sa.String(16), primary_key=True),
        sa.Column('next_at', sa.Float(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table('send_budgets')
    with op.batch_alter_table('user_profiles') as batch_op:
        batch_op.drop_column('unreachable_since')
    with op.batch_alter_table('notices') as batch_op:
        batch_op.drop_column('sending_at')
        batch_op.drop_column('claimed_by')
        batch_op.drop_column('outcome')
