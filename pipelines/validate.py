"""``python3 lantian.py validate``: run a data-quality suite (or every suite of a stage) on the
warehouse as a checkpoint, persist the results in ``dq``, write the HTML reports.

    python3 lantian.py validate --suite station_day_coverage --report-dir DIR
    python3 lantian.py validate --stage all --pipeline-run NAME --report-dir DIR

``--stage all`` runs every gate and marts suite, then the run's report and the rolling report, as
the transform DAG does, without dbt. Exit code 0 when every critical expectation passed
(warnings allowed), 1 when a critical one failed, 2 on a usage or suite error.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingest.core import warehouse
from pipelines import settings


def _iso(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO date/datetime: {text!r}") from exc


def add_parser(sub: Any) -> None:
    """The ``validate`` verb and its options on a subparsers object."""
    parser = sub.add_parser(
        "validate",
        help="run a data-quality suite (or a stage), persist results to dq.*, write the report",
    )
    parser.add_argument(
        "--suite", default="station_day_coverage", help="suite name (expectations/suites/*.json)"
    )
    parser.add_argument(
        "--stage", choices=("gate", "marts", "all"), help="run every suite of a stage instead"
    )
    parser.add_argument("--pipeline-run", help="with --stage: the run name (default: cli-<time>)")
    parser.add_argument("--report-dir", required=True, type=Path, help="folder for the HTML report")
    parser.add_argument("--run-id", help="run id (re-using one replaces its results)")
    parser.add_argument("--start", type=_iso, help="interval start, ISO; naive = local UTC+8")
    parser.add_argument("--end", type=_iso, help="interval end (exclusive), ISO")


def main(args: argparse.Namespace) -> int:
    from expectations.checkpoint import run_checkpoint
    from expectations.suite import SuiteError

    url = warehouse.warehouse_url()
    if args.stage:
        return _stages(args, url)
    try:
        outcome = run_checkpoint(
            url,
            args.suite,
            run_id=args.run_id,
            interval_start=args.start,
            interval_end=args.end,
            report_dir=args.report_dir,
        )
    except (SuiteError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(outcome.summary())
    return 0 if outcome.critical_success else 1


def _stages(args: argparse.Namespace, url: str) -> int:
    from expectations.rolling_report import write_rolling_report
    from expectations.run_report import write_run_report
    from expectations.runner import run_stage
    from expectations.suite import SuiteError

    run = args.pipeline_run or f"cli-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}"
    stages = ("gate", "marts") if args.stage == "all" else (args.stage,)
    try:
        results = [run_stage(url, s, run, start=args.start, end=args.end) for s in stages]
    except (SuiteError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    engine = warehouse.engine(url)
    try:
        receivers = settings.receiver_statuses()
        silent = settings.receiver_silent_hours()
        report = write_run_report(engine, run, args.report_dir, receivers, silent)
        print(f"data-quality report: {report}")
        print(f"rolling report: {write_rolling_report(engine, args.report_dir)}")
    finally:
        engine.dispose()
    return 1 if any(r.critical_failures for r in results) else 0
