"""Alembic migrations of the history store (run by ``store.HistoryStore.open``, never by hand)."""
