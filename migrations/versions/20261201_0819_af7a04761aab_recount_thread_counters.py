"""recount every thread's derived columns from its posts

Revision ID: af7a04761aab
Revises: 0651313fb448
Create Date: 2026-12-01 08:19:00

Held replies used to be taken off counts they were never in, hiding and deleting
moved "last activity" to withheld posts, and an opening post deleted on a wrong
count took other members' replies with it. This repairs existing databases with
the recount `flask --app forum recount` runs (forum.visibility.derived_values),
written out in SQL both SQLite and Postgres run, so that this migration keeps
meaning what it meant when later ones change the models.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'af7a04761aab'
down_revision = '0651313fb448'
branch_labels = None
depends_on = None


PUBLIC = "p.deleted_at IS NULL AND p.hidden_at IS NULL AND p.held_at IS NULL"
OF_THREAD = "p.thread_id = threads.id"
PUBLIC_REPLIES = f"SELECT count(p.id) FROM posts p WHERE {OF_THREAD} AND NOT p.is_opening AND {PUBLIC}"
OPENING = f"FROM posts p WHERE {OF_THREAD} AND p.is_opening LIMIT 1"

RECOUNT = f"""
UPDATE threads SET
  reply_count = ({PUBLIC_REPLIES}),
  last_activity_at = COALESCE(
    (SELECT max(p.created_at) FROM posts p WHERE {OF_THREAD} AND {PUBLIC}), threads.created_at),
  hidden_at = (SELECT COALESCE(p.hidden_at, p.held_at) {OPENING}),
  deleted_at = CASE WHEN ({PUBLIC_REPLIES}) = 0 THEN (SELECT p.deleted_at {OPENING}) END
"""


def upgrade():
    op.execute(RECOUNT)


def downgrade():
    # The old numbers were wrong; there is nothing to put back.
    pass
