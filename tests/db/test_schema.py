"""The models and the migrations agree: a freshly migrated database is what the models describe."""

from __future__ import annotations

from typing import Any

import psycopg
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, MetaData, Text, create_engine

import relaydesk.models  # noqa: F401  (every table on the metadata)
from relaydesk.db.base import Base
from relaydesk.db.urls import sqlalchemy_url

# Made by migration 0007 only where the server has pg_trgm (the embedded one does not).
OPTIONAL_INDEXES = {"ix_search_terms_trgm"}


def _declared(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    return not (type_ == "index" and name in OPTIONAL_INDEXES)


def _differences(url: str, metadata: MetaData = Base.metadata) -> list[Any]:
    engine = create_engine(sqlalchemy_url(url).replace("+psycopg_async", "+psycopg"))
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "include_object": _declared}
            )
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def test_models_match_the_migrations(database_url: str, admin_conn: psycopg.Connection) -> None:
    # the worker's database is a clone of the template migrated to head
    assert admin_conn.execute("SELECT version_num FROM alembic_version").fetchone() is not None
    differences = _differences(database_url)
    assert differences == [], "\n".join(map(str, differences))


def test_a_column_the_migrations_lack_is_a_difference(database_url: str) -> None:
    metadata = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(metadata)
    metadata.tables["web_sessions"].append_column(Column("probe", Text()))
    assert [d[:3] for d in _differences(database_url, metadata)] == [("add_column", None, "web_sessions")]
