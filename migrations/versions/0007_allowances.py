"""allowances and payouts

Revision ID: 0007_allowances
Revises: 0006_public_overview
"""
from alembic import op
import sqlalchemy as sa
import pool.db


revision = '0007_allowances'
down_revision = '0006_public_overview'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('allowance_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pool_id', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('per_assignment_cents', sa.Integer(), nullable=False),
    sa.Column('per_unit_cents', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=10), nullable=True),
    sa.Column('per_km_cents', sa.Integer(), nullable=False),
    sa.Column('flat_travel_cents', sa.Integer(), nullable=False),
    sa.Column('short_notice_cancellation_cents', sa.Integer(), nullable=False),
    sa.Column('client_no_show_cents', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', pool.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("unit IN ('hour', 'half_hour')", name=op.f('ck_allowance_rules_unit')),
    sa.CheckConstraint('per_assignment_cents >= 0 AND per_unit_cents >= 0 AND per_km_cents >= 0 AND flat_travel_cents >= 0 AND short_notice_cancellation_cents >= 0 AND client_no_show_cents >= 0', name=op.f('ck_allowance_rules_non_negative')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_allowance_rules_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['pool_id'], ['pools.id'], name=op.f('fk_allowance_rules_pool_id_pools'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_allowance_rules')),
    sa.UniqueConstraint('pool_id', 'valid_from', name=op.f('uq_allowance_rules_pool_id_valid_from'))
    )
    op.create_table('payouts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pool_id', sa.Integer(), nullable=False),
    sa.Column('mediator_id', sa.Integer(), nullable=True),
    sa.Column('payee_reference', sa.String(length=20), nullable=False),
    sa.Column('period', sa.Date(), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', pool.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=True),
    sa.Column('paid_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('amount_cents >= 0', name=op.f('ck_payouts_non_negative')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_payouts_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['mediator_id'], ['mediators.id'], name=op.f('fk_payouts_mediator_id_mediators'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['paid_by_id'], ['users.id'], name=op.f('fk_payouts_paid_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['pool_id'], ['pools.id'], name=op.f('fk_payouts_pool_id_pools'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payouts'))
    )
    with op.batch_alter_table('payouts', schema=None) as batch_op:
        batch_op.create_index('ix_payouts_mediator_paid_on', ['mediator_id', 'paid_on'], unique=False)
        batch_op.create_index('ix_payouts_pool_period', ['pool_id', 'period'], unique=False)

    op.create_table('payout_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payout_id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_payout_items_assignment_id_assignments'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['payout_id'], ['payouts.id'], name=op.f('fk_payout_items_payout_id_payouts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payout_items')),
    sa.UniqueConstraint('assignment_id', name=op.f('uq_payout_items_assignment_id'))
    )
    with op.batch_alter_table('payout_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payout_items_payout_id'), ['payout_id'], unique=False)

    with op.batch_alter_table('pools', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tax_free_limit_cents', sa.Integer(), server_default='84000', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('pools', schema=None) as batch_op:
        batch_op.drop_column('tax_free_limit_cents')

    with op.batch_alter_table('payout_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payout_items_payout_id'))

    op.drop_table('payout_items')
    with op.batch_alter_table('payouts', schema=None) as batch_op:
        batch_op.drop_index('ix_payouts_pool_period')
        batch_op.drop_index('ix_payouts_mediator_paid_on')

    op.drop_table('payouts')
    op.drop_table('allowance_rules')
