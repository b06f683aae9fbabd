"""A unit's own deadline (an extension) and why a round's ruleset was chosen (issue 25).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("entries") as batch:
        batch.add_column(sa.Column("deadline", sa.Date, nullable=True))
    with op.batch_alter_table("rounds") as batch:
        batch.add_column(sa.Column("ruleset_note", sa.Text, nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("rounds") as batch:
        batch.drop_column("ruleset_note")
    with op.batch_alter_table("entries") as batch:
        batch.drop_column("deadline")
