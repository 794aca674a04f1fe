"""Run a suite with Great Expectations 1.x against a query asset and flatten the results.

GX is imported here, lazily, with analytics off and progress bars off.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from expectations.suite import ExpectationSpec, SuiteSpec

RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": 20}


@dataclass(frozen=True)
class ExpectationOutcome:
    """One expectation's result, in suite order, ready to persist and render."""

    spec: ExpectationSpec
    success: bool
    observed_value: str | None
    element_count: int | None
    unexpected_count: int | None
    unexpected_percent: float | None
    partial_unexpected: list[Any] | None  # JSON-ready
    error: str | None  # first line of the exception message when the expectation raised


def _gx() -> Any:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx

    return gx


def sqlalchemy_url(url: str) -> str:
    """``postgresql://`` URLs with the psycopg2 driver made explicit."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg2://" + url[len("postgresql://") :]
    if url.startswith("postgres://"):
        return "postgresql+psycopg2://" + url[len("postgres://") :]
    return url


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _error_message(info: Any) -> str | None:
    """GX puts either one exception or a dict of them (keyed by metric) into exception_info."""
    if not isinstance(info, dict):
        return None
    if "raised_exception" in info:
        if not info.get("raised_exception"):
            return None
        message = str(info.get("exception_message") or "exception")
        return message.strip().splitlines()[0] if message.strip() else "exception"
    for nested in info.values():
        message = _error_message(nested)
        if message:
            return message
    return None


def _outcome(spec: ExpectationSpec, result: Any) -> ExpectationOutcome:
    res = dict(result.result or {})
    observed = res.get("observed_value")
    partial = res.get("partial_unexpected_list")
    percent = res.get("unexpected_percent")
    return ExpectationOutcome(
        spec=spec,
        success=bool(result.success),
        observed_value=None if observed is None else str(_jsonable(observed)),
        element_count=res.get("element_count"),
        unexpected_count=res.get("unexpected_count"),
        unexpected_percent=None if percent is None else float(percent),
        partial_unexpected=None if partial is None else _jsonable(partial),
        error=_error_message(result.exception_info),
    )


def validate(warehouse_url: str, suite: SuiteSpec, query: str) -> list[ExpectationOutcome]:
    """Validate ``query`` (a SELECT over the suite's data asset) with ``suite``.

    Uses an ephemeral context: nothing is written to disk, no Data Docs are built.
    Outcomes come back in suite order (GX itself returns them grouped by domain).
    """
    gx = _gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_postgres(
        name="lantian_warehouse", connection_string=sqlalchemy_url(warehouse_url)
    )
    asset = source.add_query_asset(name=suite.data_asset, query=query)
    batch_definition = asset.add_batch_definition_whole_table(name="interval")

    gx_suite = context.suites.add(gx.ExpectationSuite(name=suite.name))
    by_id: dict[str, ExpectationSpec] = {}
    for spec in suite.expectations:
        cls = getattr(gx.expectations, spec.type, None)
        if cls is None:
            raise ValueError(f"suite {suite.name}: unknown expectation type {spec.type!r}")
        expectation = gx_suite.add_expectation(
            cls(**spec.kwargs, severity=spec.severity, meta=dict(spec.meta))
        )
        by_id[str(expectation.id)] = spec

    definition = context.validation_definitions.add(
        gx.ValidationDefinition(
            name=f"{suite.name}_validation", data=batch_definition, suite=gx_suite
        )
    )
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name=f"{suite.name}_checkpoint",
            validation_definitions=[definition],
            actions=[],
            result_format=RESULT_FORMAT,
        )
    )
    checkpoint_result = checkpoint.run()
    outcomes: dict[int, ExpectationOutcome] = {}
    for suite_result in checkpoint_result.run_results.values():
        for result in suite_result.results:
            spec = by_id[str(result.expectation_config.id)]
            outcomes[spec.index] = _outcome(spec, result)
    missing = [s.index for s in suite.expectations if s.index not in outcomes]
    if missing:
        raise RuntimeError(f"GX returned no result for expectations {missing} of {suite.name}")
    return [outcomes[i] for i in sorted(outcomes)]
