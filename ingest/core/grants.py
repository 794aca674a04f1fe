"""Who may do what in the warehouse: one declarative map, applied idempotently.

The group roles (``NOLOGIN``) are created by ``migrations/0007_roles.sql``; login users get
them by membership (deployment). :func:`apply_grants` turns :data:`GRANTS` into ``GRANT``
statements on every schema of the map that exists (a schema added by a later migration is
picked up the next time it runs; one that does not exist yet is skipped), plus ``ALTER
DEFAULT PRIVILEGES`` so that tables dbt or a migration create later carry the same grants
from the moment they exist. ``migrate()`` calls it after every run, ``dbt_runner`` after every
dbt build.

A new schema gets its line in :data:`GRANTS`; a role not named for a schema has no access
to it (PostgreSQL grants nothing by default). A role that may read one table of a schema and
not the rest gets it in :data:`TABLE_GRANTS` (schema usage and select on that table only; dbt
recreates a mart at each build, so the grant is applied again after every build). Identifiers come only from this module, never
from input files, and are quoted by :func:`_ident`.
"""

from __future__ import annotations

import sqlalchemy as sa

LOADER = "lantian_loader"
TRANSFORMER = "lantian_transformer"
BI_READER = "lantian_bi_reader"
AUDITOR = "lantian_auditor"
ROLES = (LOADER, TRANSFORMER, BI_READER, AUDITOR)

# Access levels. "read": select. "write": read and change rows (no DDL). "build": create,
# replace and drop its own tables and views in the schema (dbt), besides reading and writing.
READ = "read"
WRITE = "write"
BUILD = "build"
# "extend": read the schema's tables and create views of one's own there, without any right to
# change the rows others wrote (dbt's quarantine views beside the loader's quarantine table).
EXTEND = "extend"

GRANTS: dict[str, dict[str, str]] = {
    "raw": {LOADER: WRITE, TRANSFORMER: READ},
    "quarantine": {LOADER: WRITE, TRANSFORMER: EXTEND, AUDITOR: READ},
    "audit": {LOADER: WRITE, TRANSFORMER: READ, AUDITOR: READ},
    "dq": {TRANSFORMER: WRITE, AUDITOR: READ},
    "lineage": {TRANSFORMER: BUILD, AUDITOR: READ},
    "staging": {TRANSFORMER: BUILD},
    "intermediate": {TRANSFORMER: BUILD},
    "reference": {TRANSFORMER: BUILD},
    "marts": {TRANSFORMER: BUILD, BI_READER: READ},
}

# One table of a schema for a role that may not read the rest: the auditor reads the 补传 audit
# mart (which gaps were asked for and filled, beside audit.hj212_history_request) and no other
# mart. READ only.
TABLE_GRANTS: dict[str, dict[str, str]] = {
    "marts.hj212_gap_request": {AUDITOR: READ},
}

_TABLE_PRIVILEGES = {
    READ: "select",
    EXTEND: "select",
    WRITE: "select, insert, update, delete, truncate",
    BUILD: "select, insert, update, delete, truncate, references, trigger",
}
_SEQUENCE_PRIVILEGES = {
    READ: "select",
    EXTEND: "select",
    WRITE: "usage, select, update",
    BUILD: "usage, select, update",
}
_SCHEMA_PRIVILEGES = {
    READ: "usage",
    WRITE: "usage",
    BUILD: "usage, create",
    EXTEND: "usage, create",
}


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def grant_statements(schema: str, role: str, level: str, owners: list[str]) -> list[str]:
    """The statements giving ``role`` the ``level`` of access to ``schema``, now and later.

    ``owners`` are the roles whose future objects in the schema get the same grants (default
    privileges apply per creating role).
    """
    s, r = _ident(schema), _ident(role)
    tables, sequences = _TABLE_PRIVILEGES[level], _SEQUENCE_PRIVILEGES[level]
    statements = [
        f"grant {_SCHEMA_PRIVILEGES[level]} on schema {s} to {r}",
        f"grant {tables} on all tables in schema {s} to {r}",
        f"grant {sequences} on all sequences in schema {s} to {r}",
    ]
    for owner in owners:
        o = _ident(owner)
        statements += [
            f"alter default privileges for role {o} in schema {s} grant {tables} on tables to {r}",
            f"alter default privileges for role {o} in schema {s}"
            f" grant {sequences} on sequences to {r}",
        ]
    return statements


# The lock ``migrate()`` takes too: concurrent GRANTs on one object fail ("tuple concurrently
# updated"), so grants and migrations of one database run one at a time.
LOCK_KEY = 20260301


def refresh(engine: sa.Engine) -> list[str]:
    """Apply the grants in a transaction of their own, under the migration lock."""
    with engine.begin() as conn:
        conn.execute(sa.text("select pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
        return apply_grants(conn)


def apply_grants(conn: sa.Connection) -> list[str]:
    """Apply :data:`GRANTS` to every mapped schema that exists and that the current user owns
    (directly, by membership, or as superuser); return the schemas granted on."""
    existing = dict(
        conn.execute(
            sa.text(
                "select n.nspname, pg_has_role(current_user, n.nspowner, 'USAGE')"
                " from pg_namespace n where n.nspname = any(:names)"
            ),
            {"names": list(GRANTS)},
        ).all()
    )
    # Future objects are created by the migrating user (migrations) and by the transformer
    # (dbt sets its role, see dbt_project/profiles.yml); default privileges can be set only
    # for roles the current user belongs to.
    me = conn.execute(sa.text("select current_user")).scalar_one()
    owners = [me]
    transformer_member = conn.execute(
        sa.text(
            "select exists (select 1 from pg_roles where rolname = :r)"
            " and pg_has_role(current_user, :r, 'MEMBER')"
        ),
        {"r": TRANSFORMER},
    ).scalar_one()
    if transformer_member and me != TRANSFORMER:
        owners.append(TRANSFORMER)
    granted = []
    for schema, roles in GRANTS.items():
        if not existing.get(schema):
            continue
        for role, level in roles.items():
            for statement in grant_statements(schema, role, level, owners):
                conn.exec_driver_sql(statement)
        granted.append(schema)
    for table, roles in TABLE_GRANTS.items():
        schema, _, name = table.partition(".")
        owned = conn.execute(
            sa.text(
                "select pg_has_role(current_user, c.relowner, 'USAGE') from pg_class c"
                " join pg_namespace n on n.oid = c.relnamespace"
                " where n.nspname = :s and c.relname = :t"
            ),
            {"s": schema, "t": name},
        ).scalar()
        for role, level in roles.items():
            r = _ident(role)
            if existing.get(schema):  # the schema's owner (migrations) grants its usage
                conn.exec_driver_sql(f"grant usage on schema {_ident(schema)} to {r}")
            if owned:  # the table's (dbt's role after a build); absent until first built
                conn.exec_driver_sql(
                    f"grant {_TABLE_PRIVILEGES[level]} on table {_ident(schema)}.{_ident(name)}"
                    f" to {r}"
                )
    return granted
