"""expert is an approved verification, not a role: users.role 'expert' becomes 'member'

Revision ID: c3e7a91d5f20
Revises: af7a04761aab
Create Date: 2026-12-01 12:00:00

"Expert" used to be stored twice, as users.role and as an approved
expert_verifications row, kept in step by hand. From here on the verification
alone says who is an expert (User.is_verified_expert) and users.role holds only
member, moderator or admin. Each 'expert' row gets the approved verification
`users create --role expert` would have made, if it has none, and becomes a member.
Written in SQL both SQLite and Postgres run, so it keeps meaning what it meant
when later migrations change the models.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c3e7a91d5f20'
down_revision = 'af7a04761aab'
branch_labels = None
depends_on = None


WITH_EXPERT = "role IN ('member', 'expert', 'moderator', 'admin')"
WITHOUT_EXPERT = "role IN ('member', 'moderator', 'admin')"

APPROVED = ("SELECT 1 FROM expert_verifications v "
            "WHERE v.user_id = users.id AND v.status = 'approved'")

# The row forum.domain.accounts.create_user adds for an expert, dated when the
# account was made.
ADD_VERIFICATIONS = f"""
INSERT INTO expert_verifications (
  user_id, status, credentials, affiliation, register_name, register_number,
  evidence_url, requested_at, decided_at, decided_by_id, decision_reason,
  checked_register, checked_number, checked_link)
SELECT users.id, 'approved', users.credentials, users.affiliation, '', '',
  '', users.created_at, users.created_at, NULL, 'Created as an expert by an operator.',
  FALSE, FALSE, FALSE
FROM users WHERE users.role = 'expert' AND NOT EXISTS ({APPROVED})
"""


def _set_role_check(old, new):
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint('ck_users_role', 'users', type_='check')
        op.create_check_constraint('ck_users_role', 'users', new)
        return
    # Not batch mode: rebuilding "users" means DROP TABLE, which with foreign keys on
    # deletes every member's posts and sessions by cascade. A CHECK constraint does not
    # change how rows are stored, so SQLite's documented way of changing one is to edit
    # the table's definition (sqlite.org/lang_altertable.html, "other kinds of table
    # schema changes"); no row breaks the new check, the data step saw to that.
    bind = op.get_bind()
    definition = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'users'").scalar()
    if old not in definition:
        return  # already so (a database create_all made from the models)
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = replace(sql, ?, ?) WHERE type = 'table' AND name = 'users'",
        (old, new))
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade():
    op.execute(ADD_VERIFICATIONS)
    op.execute("UPDATE users SET role = 'member' WHERE role = 'expert'")
    _set_role_check(WITH_EXPERT, WITHOUT_EXPERT)


def downgrade():
    # Every verified member was an expert by role before; the verifications stay.
    _set_role_check(WITHOUT_EXPERT, WITH_EXPERT)
    op.execute(f"UPDATE users SET role = 'expert' WHERE role = 'member' AND EXISTS ({APPROVED})")
