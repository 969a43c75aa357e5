"""Bare extension instances; `create_app` initialises them."""

from flask_babel import Babel
from flask_babel.speaklater import LazyString
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from markupsafe import escape
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)
babel = Babel()


# A lazy text (lazy_gettext) tells Jinja it is already HTML (its __html__ returns the
# plain string), so `{{ lazy }}` would print a name or title filled into it unescaped.
# Escape it like any other string: no lazy text here is meant to carry markup.
LazyString.__html__ = lambda self: escape(str(self))
