"""Runs and their findings.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contracts_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("project", sa.String(200), nullable=False),
        sa.Column("commit", sa.String(64), nullable=True),
        sa.Column("branch", sa.String(255), nullable=True),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.Column("tool_version", sa.String(50), nullable=False),
        sa.Column("rules_hash", sa.String(64), nullable=False),
        sa.Column("findings_count", sa.Integer, nullable=False),
    )
    op.create_index("contracts_runs_project_time", "contracts_runs", ["project", "recorded_at"])
    op.create_table(
        "contracts_findings",
        sa.Column("run_id", sa.Integer, sa.ForeignKey("contracts_runs.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("fingerprint", sa.String(64), primary_key=True),
        sa.Column("finding_id", sa.String(200), nullable=False),
        sa.Column("check_id", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(50), nullable=False),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("services", sa.String(500), nullable=False),
        sa.Column("document", sa.Text, nullable=False),
    )
    op.create_index("contracts_findings_fingerprint", "contracts_findings", ["fingerprint"])


def downgrade() -> None:
    op.drop_table("contracts_findings")
    op.drop_table("contracts_runs")
