"""helpful and answered: helpful_marks, posts.answered_at, threads.answered_at

Revision ID: c8f5d2e0b3a1
Revises: 7d2f4b8e1a63
Create Date: 2026-12-01 15:00:00

One "This helped me" per member and post (the unique constraint makes a double
submit a no-op); the reply a thread's starter or a moderator marked as its answer
(one per thread, by a partial unique index), and the thread's derived copy for
lists. No thread has an answer yet, so there is nothing to fill in.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c8f5d2e0b3a1'
down_revision = '7d2f4b8e1a63'
branch_labels = None
depends_on = None


# Not batch mode: on SQLite that rebuilds "threads" and "posts" by DROP TABLE, which
# with foreign keys on deletes their rows' children by cascade. Plain ADD and DROP
# COLUMN change the tables in place on SQLite (3.35+) and Postgres alike.

def upgrade():
    op.create_table('helpful_marks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('post_id', 'user_id', name='uq_helpful_marks_post_user')
    )
    op.create_index('ix_helpful_marks_user', 'helpful_marks', ['user_id'], unique=False)
    op.add_column('posts', sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('threads', sa.Column('answered_at', sa.DateTime(timezone=True),
                                       nullable=True))
    op.create_index('uq_posts_thread_answer', 'posts', ['thread_id'], unique=True,
                    sqlite_where=sa.text('answered_at IS NOT NULL'),
                    postgresql_where=sa.text('answered_at IS NOT NULL'))


def downgrade():
    op.drop_index('uq_posts_thread_answer', table_name='posts')
    op.execute("ALTER TABLE threads DROP COLUMN answered_at")
    op.execute("ALTER TABLE posts DROP COLUMN answered_at")
    op.drop_index('ix_helpful_marks_user', table_name='helpful_marks')
    op.drop_table('helpful_marks')
