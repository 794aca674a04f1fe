"""dbt source freshness, persisted in ``dq.source_freshness`` (not only in dbt's sources.json).

Thresholds live in ``dbt_project/dbt_project.yml`` (``sources:``), the timestamp column of each
source table in its YAML (``loaded_at_field``). Freshness is a warning-level check: a stale feed
is recorded and reported; the coverage suites say which hours are missing. The transform runs
``dbt source freshness`` (``pipelines.transform.freshness_step``) and hands the result here.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa


def _threshold(value: dict[str, Any] | None) -> str | None:
    if not value or value.get("count") is None:
        return None
    return f"{value['count']} {value['period']}"


def store_freshness(engine: sa.Engine, payload: dict[str, Any], pipeline_run: str | None) -> int:
    """Load one sources.json into dq.source_freshness (idempotent per invocation)."""
    meta = payload["metadata"]
    rows = []
    for r in payload.get("results", []):
        parts = r["unique_id"].split(".")
        criteria = r.get("criteria") or {}
        rows.append(
            {
                "inv": meta["invocation_id"],
                "uid": r["unique_id"],
                "src": parts[-2] if len(parts) >= 2 else r["unique_id"],
                "tbl": parts[-1],
                "status": str(r.get("status")),
                "max_loaded_at": r.get("max_loaded_at"),
                "snapshotted_at": r.get("snapshotted_at"),
                "age": r.get("max_loaded_at_time_ago_in_s"),
                "warn": _threshold(criteria.get("warn_after")),
                "error": _threshold(criteria.get("error_after")),
                "message": r.get("error") or r.get("message"),
                "run": pipeline_run,
                "gen": meta["generated_at"],
            }
        )
    with engine.begin() as conn:
        conn.execute(
            sa.text("delete from dq.source_freshness where invocation_id = :i"),
            {"i": meta["invocation_id"]},
        )
        if rows:
            conn.execute(
                sa.text(
                    "insert into dq.source_freshness (invocation_id, unique_id, source_name,"
                    " table_name, status, max_loaded_at, snapshotted_at, age_seconds, warn_after,"
                    " error_after, message, pipeline_run, generated_at) values (:inv, :uid, :src,"
                    " :tbl, :status, :max_loaded_at, :snapshotted_at, :age, :warn, :error,"
                    " :message, :run, :gen)"
                ),
                rows,
            )
    return len(rows)
