"""The migrations build the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from pool.cli import alembic_config
from pool.db import Base


def test_models_and_migrations_agree(app):
    engine = app.extensions["pool_db"].engine
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_migrated_database_has_every_table_and_the_alembic_head(app):
    engine = app.extensions["pool_db"].engine
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    head = ScriptDirectory.from_config(alembic_config(str(engine.url))).get_current_head()
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == head


def test_constraints_follow_the_naming_convention(app):
    inspector = inspect(app.extensions["pool_db"].engine)
    assert {u["name"] for u in inspector.get_unique_constraints("users")} == {
        "uq_users_email",
        "uq_users_calendar_token_hash",
    }
    assert inspector.get_pk_constraint("pools")["name"] in (
        "pk_pools",
        None,
    )  # SQLite has no PK names
    fks = {fk["name"] for fk in inspector.get_foreign_keys("offices")}
    assert fks <= {"fk_offices_pool_id_pools", None}


def test_the_base_domains_are_there_from_the_start(app, db):
    from sqlalchemy import select

    from pool.models import Domain
    from pool.models.mediators import BASE_DOMAINS

    assert set(db.scalars(select(Domain.code))) >= set(BASE_DOMAINS)
