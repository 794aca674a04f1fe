"""Run every suite of a stage for one pipeline run, and judge a run from what ``dq`` recorded.

``gate`` suites validate the layers below the marts (staging, intermediate). A critical failure
there does not stop the whole run: the dbt models the suite guards (``guards``, dbt selectors such
as ``stg_hj212__reading+``) are excluded from the marts build, so exactly the affected marts keep
their last good version while the others refresh; the run then fails visibly (``verdict``) and
says which suite blocked which marts. ``marts`` suites validate the marts after the build; a
critical failure there fails the run visibly (the marts are already written: they are not
certified in the report). Warnings are recorded and reported, never blocking.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from expectations.checkpoint import CheckpointOutcome, run_checkpoint
from expectations.gx_run import sqlalchemy_url
from expectations.suite import load_stage


class DataQualityFailed(RuntimeError):
    """A critical expectation failed; the message names the suites and the marts kept back."""


@dataclass(frozen=True)
class StageOutcome:
    stage: str
    pipeline_run: str
    outcomes: tuple[CheckpointOutcome, ...]

    @property
    def blocked(self) -> list[str]:
        return sorted({sel for o in self.outcomes for sel in o.blocked})

    @property
    def critical_failures(self) -> list[str]:
        return [o.suite.name for o in self.outcomes if not o.critical_success]

    def summary(self) -> str:
        lines = [o.summary() for o in self.outcomes]
        if self.blocked:
            lines.append(f"kept at their last good version: {', '.join(self.blocked)}")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, object]:
        return {
            "stage": self.stage,
            "pipeline_run": self.pipeline_run,
            "blocked": self.blocked,
            "critical_failures": self.critical_failures,
            "suites": {o.suite.name: o.run_id for o in self.outcomes},
        }


def run_stage(
    warehouse_url: str,
    stage: str,
    pipeline_run: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    days: Iterable[date] | None = None,
    batches: Iterable[int] | None = None,
) -> StageOutcome:
    """Validate every suite of ``stage``; each is persisted as ``<pipeline_run>__<suite>``.

    With ``days`` (the days the run changed) each suite validates only those days' rows (a
    suite with a ``batch_column``: the rows of ``batches``, the batches the run loaded),
    except a suite whose latest validation failed critically: it validates every row until it
    passes, so a bad day that a later run does not touch keeps gating what it guards."""
    chosen = tuple(days) if days is not None else None
    failing = _failing_critically(warehouse_url) if chosen is not None else set()
    outcomes = tuple(
        run_checkpoint(
            warehouse_url,
            suite.name,
            run_id=f"{pipeline_run}__{suite.name}",
            interval_start=start,
            interval_end=end,
            report_dir=None,
            pipeline_run=pipeline_run,
            days=None if suite.name in failing else chosen,
            batches=None if batches is None else tuple(batches),
        )
        for suite in load_stage(stage)
    )
    result = StageOutcome(stage, pipeline_run, outcomes)
    print(result.summary())
    return result


def _failing_critically(warehouse_url: str) -> set[str]:
    """The suites whose latest validation (skipped ones aside) failed a critical expectation."""
    engine = sa.create_engine(sqlalchemy_url(warehouse_url), pool_pre_ping=True)
    try:
        with engine.connect() as conn:
            return set(
                conn.execute(
                    sa.text(
                        "select suite from (select distinct on (suite) suite, severity"
                        " from dq.validation_run where severity <> 'skipped'"
                        " order by suite, run_at desc) as latest where severity = 'critical'"
                    )
                ).scalars()
            )
    finally:
        engine.dispose()


def exclusions(blocked: list[str]) -> list[str]:
    """dbt arguments that keep the blocked selectors out of a build."""
    return ["--exclude", *blocked] if blocked else []


def verdict(stages: list[dict[str, object]], details: list[str] | None = None) -> str:
    """Raise DataQualityFailed when any stage had a critical failure, naming suites, what failed
    (``details``: e.g. the observed share) and the marts kept back; otherwise say whether the run
    passed cleanly or with warnings."""
    failures = [name for s in stages for name in s.get("critical_failures", [])]  # type: ignore[union-attr]
    blocked = sorted({b for s in stages for b in s.get("blocked", [])})  # type: ignore[union-attr]
    warnings = sorted({name for s in stages for name in s.get("warnings", [])})  # type: ignore[union-attr]
    if failures:
        what = f" ({'; '.join(details)})" if details else ""
        kept = f"; kept at their last good version: {', '.join(blocked)}" if blocked else ""
        raise DataQualityFailed(
            f"critical data-quality failure in suite(s) {', '.join(failures)}{what}{kept}"
            " (see the data-quality report)"
        )
    if warnings:
        return (
            f"PASS with warnings: no critical data-quality failure; warnings in suite(s)"
            f" {', '.join(warnings)} (see the data-quality report)"
        )
    return "PASS: no critical data-quality failure"


def recorded_failures(engine: sa.Engine, pipeline_run: str) -> dict[str, list[str]]:
    """What ``dq`` recorded for a pipeline run: the suites that failed critically, the dbt
    selectors they blocked, the suites with warnings, and what each critical failure observed."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "select suite, severity, coalesce(blocked_models, '{}') as blocked"
                " from dq.validation_run where pipeline_run = :p order by suite"
            ),
            {"p": pipeline_run},
        ).all()
        details = [
            f"{d.suite}: {d.column_name} {d.observed}"
            for d in conn.execute(
                sa.text(
                    "select v.suite, r.column_name, coalesce(r.observed_value,"
                    " 'values ' || r.partial_unexpected::text) as observed"
                    " from dq.validation_run v join dq.expectation_result r using (run_id)"
                    " where v.pipeline_run = :p and not r.success and r.severity = 'critical'"
                    " order by v.suite, r.expectation_index"
                ),
                {"p": pipeline_run},
            )
        ]
    failed = [r for r in rows if r.severity == "critical"]
    return {
        "critical_failures": [r.suite for r in failed],
        "blocked": [b for r in failed for b in r.blocked],
        "warnings": [r.suite for r in rows if r.severity == "warning"],
        "details": details,
    }
