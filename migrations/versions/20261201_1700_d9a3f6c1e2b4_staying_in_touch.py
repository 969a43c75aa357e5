"""staying in touch: watches, notifications, muted members, bookmarks; email choices on
users; outbox rows that are notifications, claimed by workers, sent after a time

Revision ID: d9a3f6c1e2b4
Revises: b7e4c1d9a2f0
Create Date: 2026-12-01 17:00:00

New tables start empty. Existing members get immediate email (sent only when they are
away from the site), as new ones do; existing outbox rows are account mail.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd9a3f6c1e2b4'
down_revision = 'b7e4c1d9a2f0'
branch_labels = None
depends_on = None

LEVELS = "level IN ('watching', 'tracking', 'normal', 'muted')"
KINDS = ("kind IN ('reply', 'reply_to_you', 'mention', 'expert_reply', 'answer', "
         "'moderation', 'reminder')")


def _watch_table(name, target, target_table):
    op.create_table(name,
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column(target, sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint(LEVELS, name=f'ck_{name}_level'),
    sa.ForeignKeyConstraint([target], [f'{target_table}.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', target)
    )
    with op.batch_alter_table(name, schema=None) as batch_op:
        batch_op.create_index(f'ix_{name}_{target}', [target], unique=False)


def upgrade():
    _watch_table('thread_watches', 'thread_id', 'threads')
    _watch_table('category_watches', 'category_id', 'categories')
    _watch_table('tag_watches', 'tag_id', 'tags')
    op.create_table('member_mutes',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('muted_user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('user_id <> muted_user_id', name='ck_member_mutes_self'),
    sa.ForeignKeyConstraint(['muted_user_id'], ['users.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'muted_user_id')
    )
    with op.batch_alter_table('member_mutes', schema=None) as batch_op:
        batch_op.create_index('ix_member_mutes_muted_user_id', ['muted_user_id'], unique=False)

    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=True),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint(KINDS, name='ck_notifications_kind'),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['thread_id'], ['threads.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'event', name='uq_notifications_user_event')
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_user_read', ['user_id', 'read_at'], unique=False)
        batch_op.create_index('ix_notifications_user_id', ['user_id', 'id'], unique=False)
        batch_op.create_index('ix_notifications_thread', ['thread_id'], unique=False)
        batch_op.create_index('ix_notifications_post_id', ['post_id'], unique=False)

    op.create_table('bookmarks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('remind_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'post_id', name='uq_bookmarks_user_post')
    )
    with op.batch_alter_table('bookmarks', schema=None) as batch_op:
        batch_op.create_index('ix_bookmarks_due', ['reminded_at', 'remind_at'], unique=False)
        batch_op.create_index('ix_bookmarks_post_id', ['post_id'], unique=False)

    # Not batch mode for users: on SQLite that rebuilds the table by DROP TABLE, which
    # with foreign keys on deletes every member's posts by cascade. Plain ADD COLUMN
    # changes it in place; SQLite cannot add a CHECK to an existing table, so the list
    # of choices is checked there by the code only (EmailChoice), on Postgres also here.
    op.add_column('users', sa.Column('email_notifications', sa.String(length=16),
                                     server_default='immediate', nullable=False))
    op.add_column('users', sa.Column('quiet_from', sa.SmallInteger(), nullable=True))
    op.add_column('users', sa.Column('quiet_until', sa.SmallInteger(), nullable=True))
    op.add_column('users', sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('users', sa.Column('last_digest_at', sa.DateTime(timezone=True),
                                     nullable=True))
    if op.get_bind().dialect.name == 'postgresql':
        op.create_check_constraint(
            'ck_users_email_notifications', 'users',
            "email_notifications IN ('none', 'immediate', 'daily', 'weekly')")

    # outbox is nobody's parent: rebuilding it in batch mode on SQLite loses nothing.
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), server_default='account',
                                      nullable=False))
        batch_op.add_column(sa.Column('html_body', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('notification_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('send_after', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('claimed_until', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=64), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('dropped_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_outbox_notification_id', ['notification_id'], unique=False)
        batch_op.create_foreign_key('fk_outbox_notification_id', 'notifications',
                                    ['notification_id'], ['id'], ondelete='CASCADE')
        batch_op.create_check_constraint(
            'ck_outbox_kind', "kind IN ('account', 'notification', 'digest')")


def downgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint('ck_outbox_kind', type_='check')
        batch_op.drop_constraint('fk_outbox_notification_id', type_='foreignkey')
        batch_op.drop_index('ix_outbox_notification_id')
        for column in ('dropped_at', 'claimed_by', 'claimed_until', 'send_after',
                       'notification_id', 'html_body', 'kind'):
            batch_op.drop_column(column)

    if op.get_bind().dialect.name == 'postgresql':
        op.drop_constraint('ck_users_email_notifications', 'users', type_='check')
    for column in ('last_digest_at', 'last_seen_at', 'quiet_until', 'quiet_from',
                   'email_notifications'):
        op.execute(f"ALTER TABLE users DROP COLUMN {column}")

    op.drop_table('bookmarks')
    op.drop_table('notifications')
    op.drop_table('member_mutes')
    op.drop_table('tag_watches')
    op.drop_table('category_watches')
    op.drop_table('thread_watches')
