"""Where a run finds its inputs and writes its reports, and which interval it loads: the one home
of the settings every pipeline shares (from the environment, with the sample's defaults)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from ingest.core import paths, warehouse

BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")


def inbox_dir() -> Path:
    """``LANTIAN_INBOX``, default ``<state>/sample_inbox`` (the generated sample)."""
    return Path(os.environ.get("LANTIAN_INBOX", warehouse.state_dir() / "sample_inbox")).resolve()


def profile_path() -> Path:
    """``LANTIAN_PROFILE``, default ``config/city_profile.yaml``."""
    default = paths.config_dir() / "city_profile.yaml"
    return Path(os.environ.get("LANTIAN_PROFILE", default)).resolve()


def registry_path() -> Path:
    """``LANTIAN_DEVICE_REGISTRY``, default ``config/device_registry.csv``."""
    default = paths.config_dir() / "device_registry.csv"
    return Path(os.environ.get("LANTIAN_DEVICE_REGISTRY", default)).resolve()


def report_dir() -> Path:
    """The data-quality reports: ``<state>/reports/dq``."""
    return warehouse.state_dir() / "reports" / "dq"


def forms_report_dir() -> Path:
    """Where the per-workbook feedback reports go: ``<state>/reports/forms/<form_id>/``."""
    return warehouse.state_dir() / "reports" / "forms"


class IntervalError(ValueError):
    """A run's interval cannot be derived; the message says what to pass."""


def _moment(name: str, value: object) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise IntervalError(f"param {name}={value!r} is not an ISO 8601 date-time") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=BEIJING)


def run_interval(
    params: dict[str, object],
    data_interval_start: dt.datetime | None,
    data_interval_end: dt.datetime | None,
    now: dt.datetime | None = None,
) -> tuple[dt.datetime, dt.datetime]:
    """The interval a run loads, derived one way for scheduled runs, backfills and manual runs.

    - A run with a data interval (scheduled, backfill, manual with a logical date) loads it.
    - The params ``interval_start``/``interval_end`` (ISO 8601; naive = Beijing time) name a
      wider interval for a manual run or backfill (a year in one run). It must contain the run's
      own data interval when the run has one: a run holding a logical date whose hour it does not
      load would leave that hour unloaded and unrecorded (backfill skips logical dates that have
      a run), so such a run fails at once, saying why.
    - A manual run with neither loads the last complete hour before ``now``.
    Raises IntervalError when only one param is given, on that conflict, or an empty interval.
    """
    start_param, end_param = params.get("interval_start"), params.get("interval_end")
    if bool(start_param) != bool(end_param):
        raise IntervalError(
            "give both params interval_start and interval_end (ISO 8601), or neither"
        )
    own = None  # the run's own data interval, when it has a non-empty one
    if data_interval_start and data_interval_end and data_interval_end > data_interval_start:
        own = (data_interval_start, data_interval_end)
    if start_param and end_param:
        start, end = _moment("interval_start", start_param), _moment("interval_end", end_param)
        if own and not (start <= own[0] and own[1] <= end):
            raise IntervalError(
                f"the run's logical date stands for {own[0].isoformat()} .. {own[1].isoformat()},"
                f" outside the params' interval {start.isoformat()} .. {end.isoformat()}: a"
                " backfill would then skip that hour as already run. Trigger without a logical"
                " date (-l), or name an interval that contains it"
            )
    elif own:
        start, end = own
    else:
        end = (now or dt.datetime.now(dt.UTC)).astimezone(BEIJING)
        end = end.replace(minute=0, second=0, microsecond=0)
        start = end - dt.timedelta(hours=1)
    if end <= start:
        raise IntervalError(f"empty interval {start.isoformat()} .. {end.isoformat()}")
    return start, end
