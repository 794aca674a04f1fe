"""The steps of the transform DAG (dags/lantian_transform.py) and of the main command: dbt below
the marts, the GX gate suites, the marts build without what a gate blocked, the marts suites,
source freshness and the reports, then the verdict. Each step opens what it needs, so the DAG
file holds scheduling only; the data-quality library (``expectations``) is handed the warehouse.
"""

from __future__ import annotations

import json

import sqlalchemy as sa

from expectations.freshness import store_freshness
from expectations.rolling_report import write_rolling_report
from expectations.run_report import write_run_report
from expectations.runner import exclusions, recorded_failures, run_stage, verdict
from ingest.core import warehouse
from ingest.core.migrate import migrate
from pipelines.dbt import relations_selected, run_dbt
from pipelines.scope import Scope, record_built, run_scope, warehouse_snapshot
from pipelines.settings import receiver_silent_hours, receiver_statuses, report_dir

# dbt selections of the transform: the layers below the marts (and the quarantine views over
# them, so invalidated values show even when a gate holds the marts back), then the marts (which
# a critical data-quality failure in between keeps at their last good version).
UPSTREAM = [
    "--select",
    "path:seeds",
    "path:models/staging",
    "path:models/intermediate",
    "path:models/quarantine",
]
MARTS = ["--select", "path:models/marts", "path:models/lineage"]


class StepFailed(RuntimeError):
    """A pipeline step failed; the message says which and why."""


def build(selection: list[str] | None = None, scope: Scope | None = None) -> dict[str, object]:
    """``dbt build`` of a selection (models, data and unit tests); results land in dq.dbt_result.

    With a bounded ``scope`` (an hourly run: the days its batches changed), the data tests of
    the time-series models read those days only (``Scope.check_since``), and the unit tests,
    which check logic on fixed rows and read no data, are left to the runs that check every row
    (the nightly one, a manual one, the tests)."""
    engine = warehouse.engine()
    migrate(engine)
    engine.dispose()
    args = ["build", *(selection or [])]
    if scope is not None and not scope.full:
        args += ["--exclude-resource-type", "unit_test"]
    outcome = run_dbt(args, check_since=scope.check_since if scope is not None else None)
    if not outcome.success:
        cause = (
            "; ".join(outcome.failed)
            if outcome.failed
            else f"dbt exited with code {outcome.returncode} before building any node"
            " (connection or project error: see the dbt log above)"
        )
        raise StepFailed(f"dbt build failed: {cause}")
    return {"dbt_invocation_id": outcome.invocation_id, "dbt_nodes": outcome.results}


def upstream_step(asset_triggered: bool = False) -> dict[str, object]:
    """dbt build below the marts. Reads the warehouse's snapshot first (the batches it shows
    are in the build) and what the run validates (``pipelines.scope.run_scope``), which bounds
    this build's data tests and the gate's suites; returns both with the build's result."""
    snapshot = warehouse_snapshot()
    scope = run_scope(snapshot, asset_triggered)
    print(f"validating: {scope.reason}")
    return {**build(UPSTREAM, scope), "seen_snapshot": snapshot, "scope": scope.as_dict()}


def gate_step(pipeline_run: str, scope: dict[str, object] | None = None) -> dict[str, object]:
    """Every gate suite, over the run's ``scope`` (:func:`upstream_step`'s; without one, every
    row); returns what the marts build must leave out, and the scope the marts build and the
    marts suites use (never raises)."""
    scope = Scope.from_dict(scope)
    result = run_stage(
        warehouse.warehouse_url(), "gate", pipeline_run, days=scope.days, batches=scope.batches
    )
    return {**result.as_dict(), "scope": scope.as_dict()}


def marts_build_step(
    blocked: list[str],
    pipeline_run: str | None = None,
    snapshot: str | None = None,
    scope: dict[str, object] | None = None,
) -> dict[str, object]:
    """dbt build of the marts, without the models a failed gate keeps at their last good version;
    once built, the run is recorded with the ``snapshot`` its upstream build started from and
    whether its ``scope`` (the gate's) validated every row (``pipelines.scope.record_built``:
    what the next asset-triggered run compares with).

    A held-back model that was never built has no last good version: the step says so plainly
    (the marts suites then skip its table with that reason)."""
    held = relations_selected(blocked) if blocked else []
    absent = _absent(held)
    if absent:
        print(
            "no previous version exists of "
            + ", ".join(absent)
            + ": the gate held back their first build, so they stay absent until it passes"
        )
    result = build([*MARTS, *exclusions(blocked)], Scope.from_dict(scope))
    if pipeline_run and snapshot:
        record_built(pipeline_run, snapshot, Scope.from_dict(scope).full)
    return {**result, "excluded": blocked, "held_back": held, "never_built": absent}


def build_and_gate(pipeline_run: str, asset_triggered: bool = False) -> dict[str, object]:
    """The build half of one transform run in one process, in the DAG's order (the bench and
    the tests; the DAG runs each step as its own task): read the snapshot, build below the marts,
    the gate suites over the run's scope, the marts build without what they blocked. Returns the
    gate's result; its ``scope`` is what :func:`marts_step` validates next."""
    upstream = upstream_step(asset_triggered)
    gate = gate_step(pipeline_run, upstream["scope"])  # type: ignore[arg-type]
    marts_build_step(
        list(gate["blocked"]),  # type: ignore[call-overload]
        pipeline_run,
        str(upstream["seen_snapshot"]),
        gate["scope"],  # type: ignore[arg-type]
    )
    return gate


def _absent(relations: list[str]) -> list[str]:
    """The relations (``schema.name``) that do not exist in the warehouse."""
    if not relations:
        return []
    engine = warehouse.engine()
    try:
        with engine.connect() as conn:
            return [
                r
                for r in relations
                if conn.execute(sa.text("select to_regclass(:r) is null"), {"r": r}).scalar_one()
            ]
    finally:
        engine.dispose()


def marts_step(pipeline_run: str, scope: dict[str, object] | None = None) -> dict[str, object]:
    """Every marts suite (coverage, validity, reconciliation of the built marts), over the
    gate's ``scope`` (without one, every row)."""
    chosen = Scope.from_dict(scope)
    return run_stage(
        warehouse.warehouse_url(), "marts", pipeline_run, days=chosen.days, batches=chosen.batches
    ).as_dict()


def freshness_step(pipeline_run: str | None = None, url: str | None = None) -> dict[str, object]:
    """Run ``dbt source freshness`` and persist its results; never raises on stale sources."""
    url = url or warehouse.warehouse_url()
    target = warehouse.state_dir() / "dbt_target_freshness"
    output = target / "sources.json"
    output.unlink(missing_ok=True)
    run_dbt(["source", "freshness"], url, target_path=target)  # writes <target>/sources.json
    if not output.exists():
        return {"stored": 0, "statuses": {}}
    payload = json.loads(output.read_text(encoding="utf-8"))
    engine = warehouse.engine(url)
    try:
        stored = store_freshness(engine, payload, pipeline_run)
    finally:
        engine.dispose()
    statuses: dict[str, str] = {
        r["unique_id"]: str(r.get("status")) for r in payload.get("results", [])
    }
    return {"stored": stored, "statuses": statuses}


def reports_step(pipeline_run: str) -> dict[str, object]:
    """Source freshness (persisted), the run's report (with the HJ 212 receivers' status files,
    ``LANTIAN_RECEIVER_STATUS``) and the rolling report."""
    freshness = freshness_step(pipeline_run)
    receivers, silent_hours = receiver_statuses(), receiver_silent_hours()
    engine = warehouse.engine()
    try:
        rolling = write_rolling_report(engine, report_dir())
        run_report = write_run_report(engine, pipeline_run, report_dir(), receivers, silent_hours)
    finally:
        engine.dispose()
    print(f"data-quality report: {run_report}\nrolling report: {rolling}")
    return {"report": str(run_report), "rolling": str(rolling), "freshness": freshness["statuses"]}


def verdict_step(pipeline_run: str, failed_builds: list[str] | None = None) -> str:
    """The run's verdict from what ``dq`` recorded for it (robust to a failed upstream task).

    When a dbt build of the run failed (``failed_builds``: its task ids), that is the cause the
    verdict names first: the suites after it judged marts that were not rebuilt, and listing
    their failures as data-quality failures would hide it."""
    if failed_builds:
        raise StepFailed(
            f"dbt build failed in {', '.join(failed_builds)} (its log names the model and the"
            " error, also in dq.dbt_result): the marts were not rebuilt, so this run's"
            " data-quality results describe their previous version"
        )
    engine = warehouse.engine()
    try:
        recorded = recorded_failures(engine, pipeline_run)
    finally:
        engine.dispose()
    details = recorded.pop("details")
    marts = [m for m in relations_selected(recorded["blocked"]) if m.startswith("marts.")]
    if marts:
        details.append(f"marts held back: {', '.join(marts)}")
    return verdict([dict(recorded)], details)
