"""encrypt two-step secrets; set-up secrets on the session row

Revision ID: e492bac5ff2b
Revises: 5bf6ff449513
Create Date: 2026-12-01 08:30:00.000000

"""
import re

from alembic import op
import sqlalchemy as sa
from cryptography.fernet import Fernet, MultiFernet
from flask import current_app

from forum.config import totp_keys


# revision identifiers, used by Alembic.
revision = 'e492bac5ff2b'
down_revision = '5bf6ff449513'
branch_labels = None
depends_on = None

# What pyotp.random_base32() made and the forum stored before this migration.
PLAINTEXT = re.compile(r"[A-Z2-7]{16,64}=*")


def _fernet():
    # The app's own configuration (TOTP_ENCRYPTION_KEY, or development's key in the
    # instance folder): `flask db upgrade` runs inside the app, so the key is there.
    return MultiFernet([Fernet(key) for key in totp_keys(
        current_app.config["TOTP_ENCRYPTION_KEY"])])


def _resize_secret(length):
    old, new = (64, 255) if length == 255 else (255, 64)
    if op.get_bind().dialect.name == "sqlite":
        # Not batch mode: rebuilding "users" means DROP TABLE, which with foreign keys
        # on deletes every member's posts and sessions by cascade. SQLite's own
        # ADD, DROP and RENAME COLUMN change the table in place.
        op.add_column('users', sa.Column('totp_secret_resized', sa.String(length=length),
                                         nullable=True))
        op.execute("UPDATE users SET totp_secret_resized = totp_secret")
        op.execute("ALTER TABLE users DROP COLUMN totp_secret")
        op.execute("ALTER TABLE users RENAME COLUMN totp_secret_resized TO totp_secret")
    else:
        op.alter_column('users', 'totp_secret', existing_type=sa.String(length=old),
                        type_=sa.String(length=length), existing_nullable=True)


def _rewrite_secrets(change):
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT id, totp_secret FROM users WHERE totp_secret IS NOT NULL")).all()
    for user_id, value in rows:
        new = change(value)
        if new != value:
            conn.execute(sa.text("UPDATE users SET totp_secret = :value WHERE id = :id"),
                         {"value": new, "id": user_id})


def upgrade():
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('two_factor_setup', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('two_factor_setup_at', sa.DateTime(timezone=True),
                                      nullable=True))
    _resize_secret(255)
    fernet = _fernet()
    _rewrite_secrets(lambda value: fernet.encrypt(value.encode()).decode()
                     if PLAINTEXT.fullmatch(value) else value)


def downgrade():
    fernet = _fernet()
    # InvalidToken stops the downgrade: better than storing a secret nobody can use.
    _rewrite_secrets(lambda value: value if PLAINTEXT.fullmatch(value)
                     else fernet.decrypt(value.encode()).decode())
    _resize_secret(64)
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_column('two_factor_setup_at')
        batch_op.drop_column('two_factor_setup')
