"""Write a run into ``dq.validation_run`` and ``dq.expectation_result`` (replacing that run_id)."""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa

from expectations.gx_run import ExpectationOutcome
from expectations.suite import SuiteSpec
from expectations.window import DayWindow

_INSERT_RUN = sa.text(
    """
    insert into dq.validation_run (
        run_id, checkpoint, suite, data_asset, interval_start, interval_end, success,
        evaluated_expectations, successful_expectations, severity, report_path, pipeline_run,
        stage, blocked_models, validated_days)
    values (:run_id, :checkpoint, :suite, :data_asset, :interval_start, :interval_end, :success,
        :evaluated, :successful, :severity, :report_path, :pipeline_run, :stage, :blocked,
        :validated_days)
    """
)
_INSERT_RESULT = sa.text(
    """
    insert into dq.expectation_result (
        run_id, expectation_index, expectation_type, column_name, kwargs, severity, success,
        observed_value, element_count, unexpected_count, unexpected_percent, partial_unexpected)
    values (:run_id, :idx, :type, :column, cast(:kwargs as jsonb), :severity, :success,
        :observed, :elements, :unexpected, :percent, cast(:partial as jsonb))
    """
)


def run_severity(outcomes: Sequence[ExpectationOutcome]) -> str:
    """The highest severity among failed expectations; ``none`` when all passed."""
    failed = {o.spec.severity for o in outcomes if not o.success}
    for level in ("critical", "warning", "info"):
        if level in failed:
            return level
    return "none"


def blocked_models(suite: SuiteSpec, outcomes: Sequence[ExpectationOutcome]) -> list[str]:
    """The dbt selectors a gate keeps at their last good version: its guards, on a critical failure."""
    if suite.stage != "gate":
        return []
    critical_failed = any(not o.success and o.spec.severity == "critical" for o in outcomes)
    return list(suite.guards) if critical_failed else []


def persist_run(
    engine: sa.Engine,
    *,
    run_id: str,
    checkpoint: str,
    suite: SuiteSpec,
    window: DayWindow,
    outcomes: Sequence[ExpectationOutcome],
    report_path: str | None,
    pipeline_run: str | None = None,
) -> None:
    """One transaction: delete the run_id (cascading to its results), insert it again."""
    with engine.begin() as conn:
        conn.execute(sa.text("delete from dq.validation_run where run_id = :r"), {"r": run_id})
        conn.execute(
            _INSERT_RUN,
            {
                "run_id": run_id,
                "checkpoint": checkpoint,
                "suite": suite.name,
                "data_asset": suite.data_asset,
                "interval_start": window.start,
                "interval_end": window.end,
                "success": all(o.success for o in outcomes),
                "evaluated": len(outcomes),
                "successful": sum(o.success for o in outcomes),
                "severity": run_severity(outcomes),
                "report_path": report_path,
                "pipeline_run": pipeline_run,
                "stage": suite.stage,
                "blocked": blocked_models(suite, outcomes),
                "validated_days": _validated_days(suite, window),
            },
        )
        conn.execute(
            _INSERT_RESULT,
            [
                {
                    "run_id": run_id,
                    "idx": o.spec.index,
                    "type": o.spec.type,
                    "column": o.spec.column_name,
                    "kwargs": json.dumps(o.spec.kwargs, ensure_ascii=False),
                    "severity": o.spec.severity,
                    "success": o.success,
                    "observed": o.observed_value if o.error is None else f"error: {o.error}",
                    "elements": o.element_count,
                    "unexpected": o.unexpected_count,
                    "percent": o.unexpected_percent,
                    "partial": None
                    if o.partial_unexpected is None
                    else json.dumps(o.partial_unexpected, ensure_ascii=False),
                }
                for o in outcomes
            ],
        )


def _validated_days(suite: SuiteSpec, window: DayWindow) -> list[object] | None:
    """The days validated, when the run was bounded by the days it changed (else null)."""
    if window.days is None or suite.day_column is None:
        return None
    return list(window.days)


def persist_skipped(
    engine: sa.Engine,
    *,
    run_id: str,
    checkpoint: str,
    suite: SuiteSpec,
    window: DayWindow,
    reason: str,
    pipeline_run: str | None = None,
) -> None:
    """Record a suite that was not validated (severity ``skipped``, with the reason)."""
    with engine.begin() as conn:
        conn.execute(sa.text("delete from dq.validation_run where run_id = :r"), {"r": run_id})
        conn.execute(
            sa.text(
                "insert into dq.validation_run (run_id, checkpoint, suite, data_asset,"
                " interval_start, interval_end, success, evaluated_expectations,"
                " successful_expectations, severity, pipeline_run, stage, blocked_models,"
                " skipped_reason) values (:run_id, :checkpoint, :suite, :asset, :start, :end,"
                " false, 0, 0, 'skipped', :pipeline_run, :stage, '{}', :reason)"
            ),
            {
                "run_id": run_id,
                "checkpoint": checkpoint,
                "suite": suite.name,
                "asset": suite.data_asset,
                "start": window.start,
                "end": window.end,
                "pipeline_run": pipeline_run,
                "stage": suite.stage,
                "reason": reason,
            },
        )
