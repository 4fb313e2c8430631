"""Alembic's entry point: migrate the connection ``HistoryStore`` opened, inside its transaction."""

from alembic import context

VERSION_TABLE = "contracts_history_version"

connection = context.config.attributes["connection"]
context.configure(connection=connection, version_table=VERSION_TABLE, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
