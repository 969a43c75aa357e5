"""search index

Revision ID: 077f2156adfb
Revises: 732f3f870797
Create Date: 2026-11-24 05:36:53.138591

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '077f2156adfb'
down_revision = '732f3f870797'
branch_labels = None
depends_on = None


# Written out here rather than imported from forum.search, so this migration keeps
# doing what it did when it was written. The objects are named search_* and left
# out of the models comparison (forum/schema.py).
SQLITE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_posts USING fts5("
    "title, body, tokenize = 'porter unicode61 remove_diacritics 2')",
]
POSTGRES = [
    "CREATE TABLE IF NOT EXISTS search_posts ("
    " post_id integer PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE,"
    " title text NOT NULL DEFAULT '',"
    " body text NOT NULL DEFAULT '',"
    " document tsvector GENERATED ALWAYS AS ("
    "  setweight(to_tsvector('english', title), 'A') ||"
    "  setweight(to_tsvector('english', body), 'B')) STORED)",
    "CREATE INDEX IF NOT EXISTS search_posts_document_idx ON search_posts USING gin (document)",
]


def upgrade():
    statements = SQLITE if op.get_bind().dialect.name == "sqlite" else POSTGRES
    for statement in statements:
        op.execute(statement)
    # Existing posts are indexed by `flask --app forum search reindex`.


def downgrade():
    op.execute("DROP TABLE IF EXISTS search_posts")
