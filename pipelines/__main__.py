"""``python -m ingest``: warehouse and summary commands used by ``lantian.py``."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

import sqlalchemy as sa

from ingest.core import warehouse
from ingest.core.migrate import migrate
from ingest.station import load
from ingest.station import parse as ns

MART_TABLES = (
    "marts.station_hour_aqi",
    "marts.city_hour_aqi",
    "marts.station_day_aqi",
    "marts.city_day_aqi",
    "marts.city_period_stats",
    "marts.city_yoy",
    "marts.city_ranking",
    "marts.city_target_progress",
    "marts.city_target_progress_period",
    "marts.county_day_aqi",
    "marts.county_period_stats",
    "marts.county_ranking",
    "marts.station_day_coverage",
    "marts.station_hour_version",
    "marts.cems_outlet_hour",
    # accountability (issue 6); their lineage view marts.accountability_source_record is not
    # counted here (a view over every mart row's sources, costly to count)
    "marts.key_task_status",
    "marts.key_task_status_history",
    "marts.key_task_unit_status",
    "marts.inspection_finding",
    "marts.inspection_rectification",
    "marts.inspection_cadence",
    "marts.accountability_action",
    "marts.accountability_unit_summary",
    "marts.county_scorecard",
    "marts.department_scorecard",
    "marts.cems_outlet_day",
    "marts.emergency_outlet_coverage",
    "marts.emergency_outlet_day",
    "marts.emergency_response_verification",
    "marts.construction_site_compliance",
    "marts.coal_unit_month",
    "marts.coal_consumption_month",
    "marts.relocation_progress",
    "marts.relocation_summary",
    "marts.dual_substitution_progress",
)


def summary(url: str) -> str:
    """The end-of-run summary: batches, records, mart rows, validation, report path."""
    engine = warehouse.engine(url)
    lines = []
    with engine.connect() as conn:
        b = conn.execute(
            sa.text(
                "select count(*) filter (where status = 'loaded'),"
                " count(*) filter (where status = 'failed'),"
                " coalesce(sum(records_in), 0), coalesce(sum(records_loaded), 0),"
                " coalesce(sum(records_quarantined), 0), coalesce(sum(records_duplicate), 0)"
                " from audit.load_batch"
            )
        ).one()
        lines.append(
            f"batches: {b[0]} loaded, {b[1]} failed | records in {b[2]} = loaded {b[3]}"
            f" + quarantined {b[4]} + duplicates {b[5]}"
            + ("" if b[2] == b[3] + b[4] + b[5] else "  (DOES NOT RECONCILE)")
        )
        for table in MART_TABLES:
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


def inbox_interval(inbox: Path) -> dict[str, str]:
    """[first file's hour start, last file's hour end) over the station files of an inbox."""
    hours = [
        h
        for h in (ns.hour_of_file(p) for p in (inbox / load.FEED_FOLDER).rglob("*.csv"))
        if h is not None
    ]
    if not hours:
        raise SystemExit(
            f"{inbox}: no station files named YYYY-MM-DDTHH.csv under {load.FEED_FOLDER}/"
        )
    start = min(hours) - dt.timedelta(hours=1)
    return {"start": start.isoformat(), "end": max(hours).isoformat()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("url", help="print the warehouse URL (start the embedded server if needed)")
    sub.add_parser("migrate", help="apply pending DDL migrations")
    sub.add_parser("stop", help="stop the embedded warehouse of this state folder")
    sub.add_parser("summary", help="print the run summary")
    p_interval = sub.add_parser("interval", help="print the interval the inbox files cover (JSON)")
    p_interval.add_argument("--inbox", required=True, type=Path)
    args = parser.parse_args(argv)
    if args.command == "url":
        print(warehouse.warehouse_url())
    elif args.command == "migrate":
        print("applied:", migrate(warehouse.engine()) or "nothing new")
    elif args.command == "stop":
        print("stopped" if warehouse.stop_embedded() else "not running")
    elif args.command == "interval":
        print(json.dumps(inbox_interval(args.inbox)))
    elif args.command == "summary":
        print(summary(warehouse.warehouse_url()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
