"""names without format characters; changed credentials wait for a check

Revision ID: 5bf6ff449513
Revises: 5b7e1c0a9d42
Create Date: 2026-12-01 08:30:00

Data only, no schema change:
- Display names and thread titles lose Unicode format characters (category Cf:
  bidi overrides, zero-width characters), as forms now strip them on input.
- A verified expert whose profile credentials or affiliation were edited after the
  check gets a pending verification request with the edited text (and the checked
  register details), so an admin sees the change; the profile shows the checked text.
"""
import unicodedata
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5bf6ff449513'
down_revision = '5b7e1c0a9d42'
branch_labels = None
depends_on = None

users = sa.table(
    "users", sa.column("id", sa.Integer), sa.column("display_name", sa.String),
    sa.column("credentials", sa.String), sa.column("affiliation", sa.String),
)
threads = sa.table("threads", sa.column("id", sa.Integer), sa.column("title", sa.String))
verifications = sa.table(
    "expert_verifications", sa.column("id", sa.Integer), sa.column("user_id", sa.Integer),
    sa.column("status", sa.String), sa.column("credentials", sa.String),
    sa.column("affiliation", sa.String), sa.column("register_name", sa.String),
    sa.column("register_number", sa.String), sa.column("evidence_url", sa.String),
    sa.column("requested_at", sa.DateTime(timezone=True)),
    sa.column("decided_at", sa.DateTime(timezone=True)),
    sa.column("decision_reason", sa.Text), sa.column("checked_register", sa.Boolean),
    sa.column("checked_number", sa.Boolean), sa.column("checked_link", sa.Boolean),
)


def strip_format(value):
    # As forum.text.strip_format at the time of writing; migrations do not import the app.
    return "".join(char for char in value if unicodedata.category(char) != "Cf")


def _strip_column(bind, table, column):
    rows = bind.execute(sa.select(table.c.id, table.c[column]).where(table.c[column] != ""))
    changed = [{"row_id": row_id, "value": strip_format(value).strip()}
               for row_id, value in rows if strip_format(value).strip() != value]
    if changed:
        bind.execute(table.update().where(table.c.id == sa.bindparam("row_id"))
                     .values({column: sa.bindparam("value")}), changed)


def _pending_for_edited_credentials(bind):
    approved = verifications.alias("approved")
    pending = verifications.alias("pending")
    rows = bind.execute(
        sa.select(approved, users.c.credentials.label("now_credentials"),
                  users.c.affiliation.label("now_affiliation"))
        .join(users, users.c.id == approved.c.user_id)
        .where(approved.c.status == "approved",
               sa.or_(users.c.credentials != approved.c.credentials,
                      users.c.affiliation != approved.c.affiliation),
               ~sa.exists().where(pending.c.user_id == approved.c.user_id,
                                  pending.c.status == "pending"))
    ).mappings().all()
    for row in rows:
        values = {
            "user_id": row["user_id"], "status": "pending",
            "credentials": row["now_credentials"] or "",
            "affiliation": row["now_affiliation"] or "",
            "register_name": row["register_name"], "register_number": row["register_number"],
            "evidence_url": row["evidence_url"] or "", "decision_reason": "",
            "checked_register": False, "checked_number": False, "checked_link": False,
            "requested_at": datetime.now(UTC),
        }
        bind.execute(verifications.insert().values(values))
        # The profile columns go back to what was checked; the new text waits in the request.
        bind.execute(users.update().where(users.c.id == row["user_id"]).values(
            credentials=row["credentials"], affiliation=row["affiliation"]))


def upgrade():
    bind = op.get_bind()
    _strip_column(bind, users, "display_name")
    _strip_column(bind, threads, "title")
    _pending_for_edited_credentials(bind)


def downgrade():
    # Stripped characters were invisible and are not kept; pending requests stay.
    pass
