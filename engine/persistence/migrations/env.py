"""Alembic's entry point: runs migrations on the connection `engine.persistence.schema` hands in
(there is no alembic.ini; `polku db ...` builds the configuration)."""

from __future__ import annotations

from alembic import context

from engine.persistence.schema import render_item
from engine.persistence.tables import Base

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER columns: changes to its tables copy the table ("batch")
    render_as_batch=config.attributes.get("batch", connection.dialect.name == "sqlite"),
    render_item=render_item,  # type: ignore[arg-type]
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
