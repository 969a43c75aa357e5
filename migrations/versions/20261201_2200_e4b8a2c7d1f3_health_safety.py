"""health safety: members-only threads, article reviews, label citations, held
reasons, profile visibility, ignored members, safety alerts; long community settings

Revision ID: e4b8a2c7d1f3
Revises: d9a3f6c1e2b4
Create Date: 2026-12-01 22:00:00

Existing threads stay public. Existing articles count as reviewed by their author when
they were published, the next review due three years on. Existing profiles become
public but not indexed (the new default).
"""
from datetime import timedelta

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e4b8a2c7d1f3'
down_revision = 'd9a3f6c1e2b4'
branch_labels = None
depends_on = None

REVIEW_INTERVAL = timedelta(days=3 * 365)


def upgrade():
    postgres = op.get_bind().dialect.name == 'postgresql'
    # Not batch mode for users, threads or posts: on SQLite that rebuilds a table by DROP
    # TABLE, which with foreign keys on deletes its children by cascade. Plain ADD COLUMN
    # changes it in place; SQLite cannot add a CHECK or a foreign key constraint to an
    # existing table, so the CHECK is on Postgres only
    # (the code checks the choices on both).
    op.add_column('threads', sa.Column('members_only', sa.Boolean(),
                                       server_default=sa.false(), nullable=False))
    op.add_column('threads', sa.Column('reviewed_at', sa.DateTime(timezone=True),
                                       nullable=True))
    op.add_column('threads', sa.Column('review_due_at', sa.DateTime(timezone=True),
                                       nullable=True))
    op.create_index('ix_threads_review_due_at', 'threads', ['review_due_at'], unique=False)
    for table in ('threads', 'posts'):
        op.add_column(table, sa.Column('label_doi', sa.String(length=200), nullable=True))
        op.add_column(table, sa.Column('label_pmid', sa.String(length=12), nullable=True))
    op.add_column('posts', sa.Column('held_reason', sa.Text(), server_default='',
                                     nullable=False))
    op.add_column('users', sa.Column('profile_visibility', sa.String(length=16),
                                     server_default='noindex', nullable=False))
    if postgres:
        op.create_check_constraint('ck_users_profile_visibility', 'users',
                                   "profile_visibility IN ('public', 'members', 'noindex')")
    # community_settings is nobody's parent: rebuilding it on SQLite loses nothing.
    with op.batch_alter_table('community_settings', schema=None) as batch_op:
        batch_op.alter_column('value', type_=sa.Text(), existing_type=sa.String(length=200),
                              existing_nullable=False)

    reviews = op.create_table('article_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['reviewer_id'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['thread_id'], ['threads.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('article_reviews', schema=None) as batch_op:
        batch_op.create_index('ix_article_reviews_thread_reviewed', ['thread_id', 'reviewed_at'],
                              unique=False)

    threads = sa.table('threads', sa.column('id', sa.Integer), sa.column('kind', sa.String),
                       sa.column('author_id', sa.Integer),
                       sa.column('created_at', sa.DateTime(timezone=True)),
                       sa.column('reviewed_at', sa.DateTime(timezone=True)),
                       sa.column('review_due_at', sa.DateTime(timezone=True)))
    bind = op.get_bind()
    rows = bind.execute(sa.select(threads.c.id, threads.c.author_id, threads.c.created_at)
                        .where(threads.c.kind == 'article')).all()
    for thread_id, author_id, created_at in rows:
        due = created_at + REVIEW_INTERVAL
        bind.execute(threads.update().where(threads.c.id == thread_id).values(
            reviewed_at=created_at, review_due_at=due))
        bind.execute(reviews.insert().values(thread_id=thread_id, reviewer_id=author_id,
                                             reviewed_at=created_at, due_at=due, note=''))

    op.create_table('member_ignores',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('ignored_user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('user_id <> ignored_user_id', name='ck_member_ignores_self'),
    sa.ForeignKeyConstraint(['ignored_user_id'], ['users.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'ignored_user_id')
    )
    with op.batch_alter_table('member_ignores', schema=None) as batch_op:
        batch_op.create_index('ix_member_ignores_ignored_user_id', ['ignored_user_id'],
                              unique=False)

    op.create_table('safety_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('thread_id', sa.Integer(), nullable=True),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('escalated_by_id', sa.Integer(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolution', sa.Text(), nullable=False),
    sa.CheckConstraint("kind IN ('crisis', 'fast_reading', 'ignored')",
                       name='ck_safety_alerts_kind'),
    sa.ForeignKeyConstraint(['escalated_by_id'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['subject_id'], ['users.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['thread_id'], ['threads.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('safety_alerts', schema=None) as batch_op:
        batch_op.create_index('ix_safety_alerts_open', ['resolved_at', 'created_at'],
                              unique=False)
        batch_op.create_index('ix_safety_alerts_subject_id', ['subject_id'], unique=False)
        batch_op.create_index('ix_safety_alerts_thread_id', ['thread_id'], unique=False)
        batch_op.create_index('uq_safety_alerts_open_key', ['key'], unique=True,
                              sqlite_where=sa.text('resolved_at IS NULL'),
                              postgresql_where=sa.text('resolved_at IS NULL'))


def downgrade():
    postgres = op.get_bind().dialect.name == 'postgresql'
    op.drop_table('safety_alerts')
    op.drop_table('article_reviews')
    op.drop_table('member_ignores')
    with op.batch_alter_table('community_settings', schema=None) as batch_op:
        batch_op.alter_column('value', type_=sa.String(length=200), existing_type=sa.Text(),
                              existing_nullable=False)
    if postgres:
        op.drop_constraint('ck_users_profile_visibility', 'users', type_='check')
    op.execute("ALTER TABLE users DROP COLUMN profile_visibility")
    op.execute("ALTER TABLE posts DROP COLUMN held_reason")
    for table in ('threads', 'posts'):
        op.execute(f"ALTER TABLE {table} DROP COLUMN label_pmid")
        op.execute(f"ALTER TABLE {table} DROP COLUMN label_doi")
    op.drop_index('ix_threads_review_due_at', table_name='threads')
    for column in ('review_due_at', 'reviewed_at', 'members_only'):
        op.execute(f"ALTER TABLE threads DROP COLUMN {column}")
