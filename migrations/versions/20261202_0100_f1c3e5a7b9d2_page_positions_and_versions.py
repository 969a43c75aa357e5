"""performance: each public post's position in its thread (pages without OFFSET) and
the page cache's version counters

Revision ID: f1c3e5a7b9d2
Revises: e4b8a2c7d1f3
Create Date: 2026-12-02 01:00:00

Existing posts get their positions here: the thread's public posts (not deleted,
hidden or held) numbered from 1 in created_at, id order, as domain/visibility.py keeps
them from now on. `page_versions` starts empty (a missing tag reads as version 0).
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'f1c3e5a7b9d2'
down_revision = 'e4b8a2c7d1f3'
branch_labels = None
depends_on = None

NUMBER_PUBLIC_POSTS = """
UPDATE posts SET position = numbered.n
FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY thread_id ORDER BY created_at, id) AS n
      FROM posts
      WHERE deleted_at IS NULL AND hidden_at IS NULL AND held_at IS NULL) AS numbered
WHERE posts.id = numbered.id
"""


def upgrade():
    # Not in batch mode: on SQLite a batch rebuild of posts would cascade deletes.
    op.add_column('posts', sa.Column('position', sa.Integer(), nullable=True))
    op.create_index('ix_posts_thread_position', 'posts', ['thread_id', 'position'],
                    unique=False)
    op.execute(NUMBER_PUBLIC_POSTS)
    op.create_table('page_versions',
    sa.Column('tag', sa.String(length=80), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('tag')
    )


def downgrade():
    op.drop_table('page_versions')
    op.drop_index('ix_posts_thread_position', table_name='posts')
    # ALTER TABLE … DROP COLUMN, not a batch rebuild (SQLite 3.35+ and Postgres).
    op.execute("ALTER TABLE posts DROP COLUMN position")
