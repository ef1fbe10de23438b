"""Alembic environment: runs on the connection that `service.migrate` hands over."""

from alembic import context

from service.models import Base, UTCDateTime

config = context.config
connection = config.attributes["connection"]


def render_item(type_, obj, autogen_context):
    # Migrations spell plain SQLAlchemy types, so they never break when the models module changes.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER most things; batch mode copies the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    render_item=render_item,
)
with context.begin_transaction():
    context.run_migrations()
