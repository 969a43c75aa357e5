"""The posts blueprint lives in views.py (imported by create_app, not here, so that
features can use each other's services without circular imports)."""
