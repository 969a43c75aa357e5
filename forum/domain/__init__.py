"""The forum's domain: one module per subject, below the views and above the rules.

Each module owns its subject's state changes and the queries that read it; the
blueprints call them and nothing here imports a view or knows about a request's
form. Modules commit where they say they do (see each docstring), once.
"""
