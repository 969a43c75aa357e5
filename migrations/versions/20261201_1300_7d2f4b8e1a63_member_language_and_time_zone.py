"""a member's language and time zone: users.locale, users.timezone

Revision ID: 7d2f4b8e1a63
Revises: c3e7a91d5f20
Create Date: 2026-12-01 13:00:00

Both nullable: a member who has not chosen reads in their browser's language and
the forum's DEFAULT_TIMEZONE.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '7d2f4b8e1a63'
down_revision = 'c3e7a91d5f20'
branch_labels = None
depends_on = None


# Not batch mode: on SQLite that rebuilds "users" by DROP TABLE, which with foreign keys
# on deletes every member's posts and sessions by cascade. Plain ADD and DROP COLUMN
# change the table in place on SQLite (3.35+) and Postgres alike.

def upgrade():
    op.add_column('users', sa.Column('locale', sa.String(length=16), nullable=True))
    op.add_column('users', sa.Column('timezone', sa.String(length=64), nullable=True))


def downgrade():
    op.execute("ALTER TABLE users DROP COLUMN timezone")
    op.execute("ALTER TABLE users DROP COLUMN locale")
