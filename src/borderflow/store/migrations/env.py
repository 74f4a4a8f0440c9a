"""Alembic environment: the connection is handed in by `borderflow.store.migrate`."""

from alembic import context

from borderflow.store.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                  compare_type=True)
with context.begin_transaction():
    context.run_migrations()
