"""flights: flight number, route, fare and cabin; deleted_at / deleted_key / replaced_by for deletes and edits

Flights stay a history: a delete retires the row (deleted_at, deleted_key = the delete request's key),
an edit retires it with replaced_by naming the new row. Only live rows count.

Revision ID: 0005_flight_edits
Revises: 0004_exchanges
"""
from alembic import op
import sqlalchemy as sa


revision = '0005_flight_edits'
down_revision = '0004_exchanges'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('flights', schema=None) as batch_op:
        batch_op.add_column(sa.Column('flight_number', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('origin', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('destination', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('fare', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('cabin', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('deleted_key', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('replaced_by', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint('uq_flights_deleted_key', ['deleted_key'])
        batch_op.create_index('ix_flights_replaced_by', ['replaced_by'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('flights', schema=None) as batch_op:
        batch_op.drop_index('ix_flights_replaced_by')
        batch_op.drop_constraint('uq_flights_deleted_key', type_='unique')
        for column in ('replaced_by', 'deleted_key', 'deleted_at', 'cabin', 'fare', 'destination', 'origin',
                       'flight_number'):
            batch_op.drop_column(column)
