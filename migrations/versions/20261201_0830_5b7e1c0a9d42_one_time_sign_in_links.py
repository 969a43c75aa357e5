"""one-time sign-in links

Revision ID: 5b7e1c0a9d42
Revises: 2fa63f403118
Create Date: 2026-12-01 08:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b7e1c0a9d42'
down_revision = '2fa63f403118'
branch_labels = None
depends_on = None


# SQLite may rebuild "users" for this change, and the copy loses the expression
# indexes it cannot reflect; put them back (as in the accounts migration).
USER_INDEXES = {
    "uq_users_username_lower": "lower(username)",
    "uq_users_email_lower": "lower(email)",
}


def restore_user_indexes():
    if op.get_bind().dialect.name == "sqlite":
        for name, expression in USER_INDEXES.items():
            op.execute(f"CREATE UNIQUE INDEX IF NOT EXISTS {name} ON users ({expression})")


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sign_in_link_used_at', sa.DateTime(timezone=True),
                                      nullable=True))
    restore_user_indexes()


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('sign_in_link_used_at')
    restore_user_indexes()
