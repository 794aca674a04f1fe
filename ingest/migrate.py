"""Versioned, idempotent DDL: apply ``ingest/migrations/NNNN_*.sql`` in order, record each once."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def migrate(engine: sa.Engine) -> list[str]:
    """Apply pending migrations; return the names applied now. Safe to call on every run."""
    applied_now: list[str] = []
    with engine.begin() as conn:
        conn.execute(sa.text("select pg_advisory_xact_lock(20260301)"))
        conn.execute(sa.text("create schema if not exists audit"))
        conn.execute(
            sa.text(
                "create table if not exists audit.schema_migration ("
                " name text primary key, applied_at timestamptz not null default now())"
            )
        )
        done = set(conn.execute(sa.text("select name from audit.schema_migration")).scalars())
        for path in sorted(MIGRATIONS.glob("*.sql")):
            if path.name in done:
                continue
            conn.exec_driver_sql(path.read_text(encoding="utf-8"))
            conn.execute(
                sa.text("insert into audit.schema_migration (name) values (:n)"), {"n": path.name}
            )
            applied_now.append(path.name)
    return applied_now
