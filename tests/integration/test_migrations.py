"""Alembic: one head, an empty database upgrades to every table, and the migrated schema matches the models."""
from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from incidents.db import Database, alembic_config
from incidents.records import Base

MODEL_TABLES = set(Base.metadata.tables)


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'empty.db'}"


def _differences(db: Database) -> list:
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
        return compare_metadata(ctx, Base.metadata)


def test_there_is_exactly_one_alembic_head(sqlite_url):
    heads = ScriptDirectory.from_config(alembic_config(sqlite_url)).get_heads()
    assert len(heads) == 1, f"several Alembic heads {heads}: merge them (alembic merge heads)"


def test_upgrading_an_empty_sqlite_database_creates_every_model_table(sqlite_url):
    db = Database(sqlite_url)
    try:
        assert inspect(db.engine).get_table_names() == []
        db.upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert tables == MODEL_TABLES | {"alembic_version"}
        db.upgrade()  # idempotent: the app runs it at every start
        with db.engine.connect() as conn:
            head = ScriptDirectory.from_config(alembic_config(sqlite_url)).get_current_head()
            assert MigrationContext.configure(conn).get_current_revision() == head
    finally:
        db.dispose()


def test_migrated_sqlite_schema_matches_the_models(sqlite_url):
    db = Database(sqlite_url)
    try:
        db.upgrade()
        assert _differences(db) == []
    finally:
        db.dispose()


def test_downgrade_to_base_removes_every_table(sqlite_url):
    db = Database(sqlite_url)
    try:
        db.upgrade()
        with db.engine.begin() as conn:
            cfg = alembic_config(sqlite_url)
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "base")
        assert set(inspect(db.engine).get_table_names()) == {"alembic_version"}
    finally:
        db.dispose()


@pytest.mark.postgres
def test_migrated_postgres_schema_matches_the_models(pg_url):
    db = Database(pg_url)
    try:
        db.upgrade()
        assert set(inspect(db.engine).get_table_names()) == MODEL_TABLES | {"alembic_version"}
        assert _differences(db) == []
    finally:
        db.dispose()
