"""Which database objects the migrations own.

Full-text search keeps objects of its own (SQLite FTS tables, Postgres
tsvector indexes) that are not SQLAlchemy models; they are named with
`SEARCH_PREFIX` and left out when migrations are compared with the models.
"""

SEARCH_PREFIX = "search_"


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    if name and name.startswith(SEARCH_PREFIX):
        return False
    return not (type_ == "column" and obj.table.name.startswith(SEARCH_PREFIX))


def render_item(type_, obj, autogen_context):
    """Migrations spell the models' UTCDateTime as a plain timezone-aware DateTime."""
    from .models import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False
