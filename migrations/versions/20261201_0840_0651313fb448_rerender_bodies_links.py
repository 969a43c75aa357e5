"""re-render stored bodies: bare addresses link only with http, https or mailto

Revision ID: 0651313fb448
Revises: e492bac5ff2b
Create Date: 2026-12-01 08:40:00

Linkify used to turn bare "ssh://…", "webcal://…", "xmpp:…" (and the rest of
html5lib's list of schemes) into stored links, past the allow-list the sanitiser
applies to Markdown links. The renderer no longer does; this rebuilds every stored
body from its source with today's renderer, as `flask --app forum text rerender`
does, so the links already stored go too. Only bodies whose HTML changes are
written, in batches, so a large forum is not held in one transaction's memory.
"""
from alembic import op
import sqlalchemy as sa

from forum import text


# revision identifiers, used by Alembic.
revision = '0651313fb448'
down_revision = 'e492bac5ff2b'
branch_labels = None
depends_on = None

BATCH = 500
posts = sa.table("posts", sa.column("id", sa.Integer), sa.column("body_source", sa.Text),
                 sa.column("body_html", sa.Text))


def upgrade():
    connection = op.get_bind()
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(posts.c.id, posts.c.body_source, posts.c.body_html)
            .where(posts.c.id > last_id).order_by(posts.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        for post_id, source, stored in rows:
            html = text.render(source or "")
            if html != stored:
                connection.execute(posts.update().where(posts.c.id == post_id)
                                   .values(body_html=html))
        last_id = rows[-1].id


def downgrade():
    # The earlier HTML is the unsafe one; a rerender from source is all there is.
    pass
