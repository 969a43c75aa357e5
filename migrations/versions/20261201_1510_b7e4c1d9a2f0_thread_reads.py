"""how far each member has read each thread: thread_reads

Revision ID: b7e4c1d9a2f0
Revises: c8f5d2e0b3a1
Create Date: 2026-12-01 15:00:00

A new table only: nothing to fill in. A member with no row for a thread has never
opened it (forum.domain.reading).
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'b7e4c1d9a2f0'
down_revision = 'c8f5d2e0b3a1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('thread_reads',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('last_read_post_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['thread_id'], ['threads.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'thread_id')
    )
    with op.batch_alter_table('thread_reads', schema=None) as batch_op:
        batch_op.create_index('ix_thread_reads_thread_id', ['thread_id'], unique=False)


def downgrade():
    with op.batch_alter_table('thread_reads', schema=None) as batch_op:
        batch_op.drop_index('ix_thread_reads_thread_id')

    op.drop_table('thread_reads')
