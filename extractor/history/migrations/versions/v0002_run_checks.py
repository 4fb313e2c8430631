"""Runs remember which checks ran (``--check``): a run of some checks is compared only with runs of the same.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contracts_runs") as batch:
        batch.add_column(sa.Column("checks", sa.Text, nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("contracts_runs") as batch:
        batch.drop_column("checks")
