"""The end-of-run summary: batches (records in = loaded + quarantined + duplicates), the row count
of every mart the dbt project defines (from its manifest), each suite's last validation and the
data-quality report."""

from __future__ import annotations

import sqlalchemy as sa

from ingest.core import warehouse
from pipelines.dbt import manifest


def mart_tables() -> list[str]:
    """``marts.<name>`` of every table the dbt project materialises in the marts schema (views,
    such as the row-level lineage, are costly to count and left out), sorted by name."""
    nodes = manifest().get("nodes", {}).values()
    return sorted(
        f"{n['schema']}.{n['name']}"
        for n in nodes
        if n.get("resource_type") == "model"
        and n.get("schema") == "marts"
        and n.get("config", {}).get("materialized") in ("table", "incremental")
    )


def summary(url: str) -> str:
    """The end-of-run summary: batches, records, mart rows, validation, report path."""
    engine = warehouse.engine(url)
    lines = []
    with engine.connect() as conn:
        b = conn.execute(
            sa.text(
                "select count(*) filter (where status = 'loaded'),"
                # a failed file counts until a later batch of the same file loads (fixed and
                # re-run): the summary reports what is still wrong, not the history
                " count(distinct source || '/' || source_file) filter (where status = 'failed'"
                "  and not exists (select from"
                "  audit.load_batch later where later.source = b.source"
                "  and later.source_file = b.source_file and later.status = 'loaded'"
                "  and later.batch_id > b.batch_id)),"
                " coalesce(sum(records_in), 0), coalesce(sum(records_loaded), 0),"
                " coalesce(sum(records_quarantined), 0), coalesce(sum(records_duplicate), 0)"
                " from audit.load_batch b"
            )
        ).one()
        lines.append(
            f"batches: {b[0]} loaded, {b[1]} files failed (not loaded since) | records in {b[2]} = loaded {b[3]}"
            f" + quarantined {b[4]} + duplicates {b[5]}"
            + ("" if b[2] == b[3] + b[4] + b[5] else "  (DOES NOT RECONCILE)")
        )
        for table in mart_tables():
            schema, name = table.split(".")
            exists = conn.execute(
                sa.text("select to_regclass(:t) is not null"), {"t": table}
            ).scalar()
            count = (
                conn.execute(sa.text(f'select count(*) from "{schema}"."{name}"')).scalar()
                if exists
                else "missing"
            )
            lines.append(f"mart {table}: {count} rows")
        runs = conn.execute(
            sa.text(
                "select distinct on (v.suite) v.suite, v.run_id, v.report_path,"
                " count(*) filter (where not r.success and r.severity = 'critical') as critical,"
                " count(*) filter (where not r.success and r.severity <> 'critical') as warnings,"
                " count(r.*) as evaluated"
                " from dq.validation_run v left join dq.expectation_result r using (run_id)"
                " group by v.suite, v.run_id, v.report_path, v.run_at"
                " order by v.suite, v.run_at desc"
            )
        ).all()
        if not runs:
            lines.append("validation: none recorded")
        for run in runs:
            verdict = (
                f"FAILED: {run.critical} critical expectation(s) failed"
                if run.critical
                else f"passed, {run.warnings} warning(s)"
                if run.warnings
                else "passed"
            )
            lines.append(f"validation {run.suite}: {verdict} of {run.evaluated} (run {run.run_id})")
        # one report per pipeline run covers every suite: name each distinct report once
        for path in dict.fromkeys(run.report_path for run in runs if run.report_path):
            lines.append(f"data-quality report: {path}")
    engine.dispose()
    return "\n".join(lines)
