"""Model-validation findings kept as records (issue 14): each stored finding in
process_model_version.validation and deployment.problems becomes an object with its severity,
file, element, English message, code and parameters, so the pages translate them by code.

Rows written before this revision hold plain "severity: message" lines; they are rewritten as
objects with the whole line's text as the message and no code (they are shown in English, as
before). The column type (JSON) is unchanged. Downgrading writes the lines back.

Revision ID: 0012_coded_findings
Revises: 0011_daily_work
Create Date: 2026-12-02 11:30:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0012_coded_findings"
down_revision = "0011_daily_work"
branch_labels = None
depends_on = None

TABLES = (("process_model_version", "validation"), ("deployment", "problems"))


def _as_record(finding: Any) -> Any:
    if not isinstance(finding, str):
        return finding
    severity = "warning" if finding.startswith("warning: ") else "error"
    message = finding.removeprefix(f"{severity}: ")
    return {
        "severity": severity, "file": "", "element": None, "message": message,
        "code": None, "params": {},
    }  # fmt: skip


def _as_line(finding: Any) -> Any:
    if not isinstance(finding, dict):
        return finding
    where = finding.get("file") or ""
    if finding.get("element"):
        where += f", element '{finding['element']}'"
    text = f"{where}: {finding.get('message', '')}" if where else str(finding.get("message", ""))
    return f"{finding.get('severity', 'error')}: {text}"


def _rewrite(change: Any) -> None:
    connection = op.get_bind()
    for name, column in TABLES:
        table = sa.table(name, sa.column("id", sa.Integer()), sa.column(column, sa.JSON()))
        rows = connection.execute(sa.select(table.c.id, table.c[column])).all()
        for row_id, findings in rows:
            if not findings:
                continue
            rewritten = [change(f) for f in findings]
            if rewritten != findings:
                connection.execute(
                    table.update().where(table.c.id == row_id).values({column: rewritten})
                )


def upgrade() -> None:
    _rewrite(_as_record)


def downgrade() -> None:
    _rewrite(_as_line)
