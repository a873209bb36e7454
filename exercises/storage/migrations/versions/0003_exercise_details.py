"""exercise details: record kind, real start with its time zone, points of contact, baseline

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 00:30:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("exercise", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "record_kind",
                sqlmodel.sql.sqltypes.AutoString(length=16),
                nullable=False,
                server_default="exercise",
            )
        )
        batch_op.add_column(sa.Column("real_start", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("timezone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column("contacts_json", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("baseline_json", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("exercise", schema=None) as batch_op:
        batch_op.drop_column("baseline_json")
        batch_op.drop_column("contacts_json")
        batch_op.drop_column("timezone")
        batch_op.drop_column("real_start")
        batch_op.drop_column("record_kind")
