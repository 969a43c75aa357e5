"""search at scale: an index of each thread's post ids, so search within a thread
bounds its walk by the range of the thread's own posts

Revision ID: b6d8f0a2c4e6
Revises: f1c3e5a7b9d2
Create Date: 2026-12-02 02:00:00

The index is named search_* and made by forum/domain/search.py's create_objects as
well (tests build the schema without migrations); like the other search objects it is
left out of the models comparison (forum/schema.py). Written out here rather than
imported, so this migration keeps doing what it did when it was written.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'b6d8f0a2c4e6'
down_revision = 'f1c3e5a7b9d2'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("CREATE INDEX IF NOT EXISTS search_posts_thread_ids ON posts (thread_id, id)")


def downgrade():
    op.execute("DROP INDEX IF EXISTS search_posts_thread_ids")
