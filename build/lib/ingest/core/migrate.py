"""Versioned, idempotent DDL: apply ``ingest/core/migrations/NNNN_*.sql`` in order, record each once.

After the migrations, the role grants of :mod:`ingest.core.grants` are applied again (idempotent),
so schemas and tables added by any migration are covered. A user that owns nothing (a DAG
task connected as a member of ``lantian_loader``) on an up-to-date warehouse runs no DDL at all.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from ingest.core.grants import LOCK_KEY, apply_grants, refresh

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _applied(conn: sa.Connection) -> set[str] | None:
    """Names already applied, or None when the bookkeeping table does not exist yet."""
    if conn.execute(sa.text("select to_regclass('audit.schema_migration')")).scalar() is None:
        return None
    return set(conn.execute(sa.text("select name from audit.schema_migration")).scalars())


def migrate(engine: sa.Engine) -> list[str]:
    """Apply pending migrations; return the names applied now. Safe to call on every run."""
    names = [path.name for path in sorted(MIGRATIONS.glob("*.sql"))]
    with engine.connect() as conn:
        done = _applied(conn)
    if done is not None and not set(names) - done:
        refresh(engine)
        return []
    applied_now: list[str] = []
    with engine.begin() as conn:
        conn.execute(sa.text("select pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
        conn.execute(sa.text("create schema if not exists audit"))
        conn.execute(
            sa.text(
                "create table if not exists audit.schema_migration ("
                " name text primary key, applied_at timestamptz not null default now())"
            )
        )
        done = _applied(conn) or set()
        for name in names:
            if name in done:
                continue
            conn.exec_driver_sql((MIGRATIONS / name).read_text(encoding="utf-8"))
            conn.execute(
                sa.text("insert into audit.schema_migration (name) values (:n)"), {"n": name}
            )
            applied_now.append(name)
        apply_grants(conn)
    return applied_now
