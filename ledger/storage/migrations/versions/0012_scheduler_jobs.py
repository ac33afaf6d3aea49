"""The scheduler's job table, made by the migration rather than by each bot process at its start

APScheduler's SQLAlchemy job store creates its table when a scheduler starts; in scale mode several bot workers
start at once and all but one crashed on "relation scheduler_jobs already exists". The table (APScheduler 3's
own columns) now exists before any worker starts; the store then finds it. Databases that already have it keep it.

Revision ID: 0012_scheduler_jobs
Revises: 0011_voice_replies
"""
from alembic import op
import sqlalchemy as sa


revision = '0012_scheduler_jobs'
down_revision = '0011_voice_replies'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table('scheduler_jobs'):
        return
    op.create_table(
        'scheduler_jobs',
        sa.Column('id', sa.Unicode(191), primary_key=True),
        sa.Column('next_run_time', sa.Float(25), index=True),
        sa.Column('job_state', sa.LargeBinary(), nullable=False),
    )


def downgrade() -> None:
    pass   # the scheduler would create it again at its next start; nothing to undo
