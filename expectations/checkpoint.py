"""Run a declared suite as a GX checkpoint, persist the results to ``dq``, write the HTML report.

Interval filtering: the suite's data asset is validated through a GX *query asset*
``select * from <schema>.<table> where day >= <first day> and day < <end day>``, the days being
those whose local (UTC+8) midnight lies in [interval_start, interval_end) (see
``expectations.window``). Without an interval the whole table is validated. With ``days`` (the days a run changed) only
the rows of those days (``DayWindow.from_days``); a suite without a day column, whole.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from expectations.gx_run import ExpectationOutcome, sqlalchemy_url, validate
from expectations.load_audit import load_audit_html
from expectations.persist import persist_run, persist_skipped
from expectations.report import render_html, station_coverage, write_report
from expectations.suite import SuiteSpec, load_suite
from expectations.window import DayWindow

DEFAULT_VALID_HOURS_THRESHOLD = 20


@dataclass(frozen=True)
class CheckpointOutcome:
    suite: SuiteSpec
    run_id: str
    success: bool  # every expectation passed
    critical_success: bool  # every critical expectation passed (the gate)
    evaluated: int
    failed_critical: int
    failed_warning: int
    report_path: Path | None
    results: tuple[ExpectationOutcome, ...] = field(default=(), repr=False)
    skipped_reason: str | None = None  # not validated: its table does not exist (never built)

    @property
    def blocked(self) -> list[str]:
        """dbt selectors kept at their last good version: a gate's guards on a critical failure."""
        return (
            list(self.suite.guards)
            if self.suite.stage == "gate" and not self.critical_success
            else []
        )

    def summary(self) -> str:
        if self.skipped_reason:
            return f"SKIPPED: run {self.run_id}: {self.skipped_reason}"
        verdict = (
            "PASS"
            if self.success
            else "PASS with warnings"
            if self.critical_success
            else "FAIL (critical)"
        )
        return (
            f"{verdict}: run {self.run_id}: {self.evaluated} expectations, "
            f"{self.failed_critical} critical failed, {self.failed_warning} warnings"
            + (f"; report {self.report_path}" if self.report_path else "")
        )


def _select(suite: SuiteSpec, window: DayWindow) -> str:
    table = f'"{suite.schema}"."{suite.table}"'
    if suite.day_column is None:
        return f"select * from {table}"
    where = window.where_sql(suite.day_column, suite.batch_column)
    return f"select * from {table}" + ("" if where == "true" else f" where {where}")


def _valid_threshold(suite: SuiteSpec) -> int:
    """The valid_hours minimum declared in the suite, so the report agrees with the check."""
    for spec in suite.expectations:
        if spec.kwargs.get("column") == "valid_hours" and spec.kwargs.get("min_value") is not None:
            return int(spec.kwargs["min_value"])
    return DEFAULT_VALID_HOURS_THRESHOLD


def run_checkpoint(
    warehouse_url: str,
    suite_name: str = "station_day_coverage",
    *,
    run_id: str | None = None,
    interval_start: datetime | None = None,
    interval_end: datetime | None = None,
    report_dir: Path | None,
    pipeline_run: str | None = None,
    days: Iterable[date] | None = None,
    batches: Iterable[int] | None = None,
) -> CheckpointOutcome:
    """Validate the suite's data asset (restricted to the interval's days, or to ``days``: the
    days a run changed, and for a suite with a ``batch_column`` to ``batches``: the batches it
    loaded), persist, report.

    Re-running with the same ``run_id`` replaces that run's rows in ``dq`` and its report.
    Without ``report_dir`` no per-suite report is written (the pipeline run writes one report
    for all its suites: ``expectations.run_report``).
    """
    import sqlalchemy as sa

    suite = load_suite(suite_name)
    window = (
        DayWindow.from_days(days, batches)
        if days is not None
        else DayWindow.from_interval(interval_start, interval_end)
    )
    now = datetime.now(UTC)
    run_id = run_id or f"{suite.name}__{now.strftime('%Y%m%dT%H%M%S.%fZ')}"
    checkpoint_name = f"{suite.name}_checkpoint"
    query = _select(suite, window)

    engine = sa.create_engine(sqlalchemy_url(warehouse_url), pool_pre_ping=True)
    try:
        with engine.connect() as conn:
            exists = conn.execute(
                sa.text("select to_regclass(:t) is not null"), {"t": suite.data_asset}
            ).scalar_one()
        reason = None
        if not exists:
            reason = (
                f"{suite.data_asset} does not exist: no previous version (its first build was"
                " held back by a failed gate, or it was never built); nothing to validate"
            )
        elif window.days == () and suite.day_column is not None:
            reason = "the run changed no day (only data without days, e.g. bureau forms)"
        if reason is not None:
            persist_skipped(
                engine,
                run_id=run_id,
                checkpoint=checkpoint_name,
                suite=suite,
                window=window,
                reason=reason,
                pipeline_run=pipeline_run,
            )
            return CheckpointOutcome(suite, run_id, False, True, 0, 0, 0, None, (), reason)
        outcomes = validate(warehouse_url, suite, query)
        threshold = _valid_threshold(suite)
        coverage, coverage_error = (
            station_coverage(engine, query, threshold)
            if suite.station_coverage_section
            else ([], None)
        )
        html_text = render_html(
            run_id=run_id,
            checkpoint=checkpoint_name,
            suite=suite,
            window=window,
            outcomes=outcomes,
            coverage=coverage,
            coverage_error=coverage_error,
            valid_threshold=threshold,
            generated_at=now,
            extra_html=load_audit_html(engine, window) if suite.load_audit_section else "",
        )
        report_path = (
            write_report(Path(report_dir), run_id, html_text).resolve() if report_dir else None
        )
        persist_run(
            engine,
            run_id=run_id,
            checkpoint=checkpoint_name,
            suite=suite,
            window=window,
            outcomes=outcomes,
            report_path=str(report_path) if report_path else None,
            pipeline_run=pipeline_run,
        )
    finally:
        engine.dispose()

    failed = [o for o in outcomes if not o.success]
    return CheckpointOutcome(
        suite=suite,
        run_id=run_id,
        success=not failed,
        critical_success=not any(o.spec.severity == "critical" for o in failed),
        evaluated=len(outcomes),
        failed_critical=sum(1 for o in failed if o.spec.severity == "critical"),
        failed_warning=sum(1 for o in failed if o.spec.severity == "warning"),
        report_path=report_path,
        results=tuple(outcomes),
    )
