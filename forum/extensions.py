"""Bare extension instances; `create_app` initialises them."""

from flask import current_app, g, has_app_context
from flask_babel import Babel
from flask_babel.speaklater import LazyString
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session
from flask_wtf import CSRFProtect
from markupsafe import escape
from sqlalchemy import CompoundSelect, Select
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


class ReplicaSession(Session):
    """Reads of a request that asked for the read replica (`g.read_replica`, set for
    search and the public feeds, see forum/web/http.py) go to the replica's engine when
    DATABASE_REPLICA_URL configures one (`app.extensions["read_replica"]`); writes,
    flushes and every other request use the primary."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if (bind is None and isinstance(clause, Select | CompoundSelect) and not self._flushing
                and has_app_context() and g.get("read_replica")):
            replica = current_app.extensions.get("read_replica")
            if replica is not None:
                return replica
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


db = SQLAlchemy(model_class=Base, session_options={"class_": ReplicaSession})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)
babel = Babel()


# A lazy text (lazy_gettext) tells Jinja it is already HTML (its __html__ returns the
# plain string), so `{{ lazy }}` would print a name or title filled into it unescaped.
# Escape it like any other string: no lazy text here is meant to carry markup.
LazyString.__html__ = lambda self: escape(str(self))
