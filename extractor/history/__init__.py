"""The history of recorded ``check`` runs, and what changed between two of them (``contracts drift``).

``fingerprint`` says which findings are the same across runs; ``store`` keeps runs in SQLite or
PostgreSQL (SQLAlchemy, schema migrations by Alembic); ``compare`` computes new / fixed / still
open findings, their age and the trend per check family.
"""
