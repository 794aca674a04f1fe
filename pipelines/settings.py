"""Where a run finds its inputs and writes its reports, and which interval it loads: the one home
of the settings every pipeline shares (from the environment, with the sample's defaults)."""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

from expectations.receiver_report import ReceiverStatus
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


def receiver_status_paths() -> list[Path]:
    """``LANTIAN_RECEIVER_STATUS``: the HJ 212 receivers' status files (comma-separated, one a
    receiver), default the receiver's own default ``<state>/receiver/status.json``
    (receiver/config.py ``ReceiverConfig.status_file``, the same ``LANTIAN_STATE``)."""
    listed = [p.strip() for p in os.environ.get("LANTIAN_RECEIVER_STATUS", "").split(",")]
    chosen = [Path(p) for p in listed if p]
    return [p.resolve() for p in chosen] or [warehouse.state_dir() / "receiver" / "status.json"]


def receiver_silent_hours() -> float:
    """``LANTIAN_RECEIVER_SILENT_HOURS`` (default 2): the DQ report lists the registry devices
    whose last packet is older than this."""
    value = os.environ.get("LANTIAN_RECEIVER_SILENT_HOURS") or "2"
    try:
        hours = float(value)
    except ValueError as exc:
        raise ValueError(f"LANTIAN_RECEIVER_SILENT_HOURS={value!r} is not a number") from exc
    if hours <= 0:
        raise ValueError(f"LANTIAN_RECEIVER_SILENT_HOURS={value!r} must be positive")
    return hours


def receiver_statuses(files: list[Path] | None = None) -> list[ReceiverStatus]:
    """Each receiver status file parsed for the DQ report, or why it could not be (a missing
    file or a half-written one never stops the report)."""
    found = []
    for path in receiver_status_paths() if files is None else files:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            found.append(ReceiverStatus(str(path), None, "no such file"))
            continue
        except (OSError, ValueError) as exc:
            found.append(ReceiverStatus(str(path), None, f"unreadable: {exc}"))
            continue
        if not isinstance(document, dict) or document.get("status_version") != 1:
            found.append(
                ReceiverStatus(str(path), None, "not a receiver status (status_version 1)")
            )
            continue
        found.append(ReceiverStatus(str(path), document))
    return found


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


@dataclass(frozen=True)
class GapFetchSettings:
    """How the 补传 task (pipelines.hj212_gaps) asks devices for their missing hours.

    | variable | default | meaning |
    |---|---|---|
    | ``LANTIAN_RECEIVER_URLS`` | ``http://127.0.0.1:9213`` | the receivers' status ports (comma-separated) |
    | ``LANTIAN_HJ212_GAP_DAYS`` | ``3`` | window: the missing hours of the last N local days |
    | ``LANTIAN_HJ212_GAP_SETTLE_HOURS`` | ``2`` | an hour is a gap only this long after its end (published, loaded, built) |
    | ``LANTIAN_HJ212_GAP_BACKOFF_HOURS`` | ``6`` | an hour asked for is not asked again for this long |
    | ``LANTIAN_HJ212_GAP_MAX_ATTEMPTS`` | ``3`` | an hour a device was asked for this often is not asked again |
    | ``LANTIAN_HJ212_GAP_RATE`` | ``2`` | requests started per second (all receivers) |
    | ``LANTIAN_HJ212_GAP_CONCURRENCY`` | ``4`` | requests in flight at once |
    | ``LANTIAN_HJ212_GAP_MAX_REQUESTS`` | ``500`` | requests per run (the rest wait for the next run) |
    | ``LANTIAN_HJ212_GAP_MAX_SPAN_HOURS`` | ``24`` | hours one request (BeginTime..EndTime) covers at most |
    | ``LANTIAN_HJ212_GAP_TIMEOUT_S`` | ``30`` | the receiver's wait for 9011 and for 9012 (its ``timeout_s``) |
    """

    receiver_urls: tuple[str, ...] = ("http://127.0.0.1:9213",)
    window_days: int = 3
    settle_hours: int = 2
    backoff_hours: float = 6.0
    max_attempts: int = 3
    rate_per_s: float = 2.0
    concurrency: int = 4
    max_requests: int = 500
    max_span_hours: int = 24
    timeout_s: float = 30.0

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> GapFetchSettings:
        env = dict(os.environ) if env is None else env
        d = cls()

        def number(name: str, default: float, kind: type = int) -> float:
            value = env.get(name, "")
            if not value:
                return default
            try:
                parsed = kind(value)
            except ValueError as exc:
                what = "a whole number" if kind is int else "a number"
                raise ValueError(f"{name}={value!r} is not {what}") from exc
            if parsed <= 0:
                raise ValueError(f"{name}={value!r} must be positive")
            return parsed

        urls = tuple(u.strip().rstrip("/") for u in env.get("LANTIAN_RECEIVER_URLS", "").split(","))
        return cls(
            receiver_urls=tuple(u for u in urls if u) or d.receiver_urls,
            window_days=int(number("LANTIAN_HJ212_GAP_DAYS", d.window_days)),
            settle_hours=int(number("LANTIAN_HJ212_GAP_SETTLE_HOURS", d.settle_hours)),
            backoff_hours=number("LANTIAN_HJ212_GAP_BACKOFF_HOURS", d.backoff_hours, float),
            max_attempts=int(number("LANTIAN_HJ212_GAP_MAX_ATTEMPTS", d.max_attempts)),
            rate_per_s=number("LANTIAN_HJ212_GAP_RATE", d.rate_per_s, float),
            concurrency=int(number("LANTIAN_HJ212_GAP_CONCURRENCY", d.concurrency)),
            max_requests=int(number("LANTIAN_HJ212_GAP_MAX_REQUESTS", d.max_requests)),
            max_span_hours=int(number("LANTIAN_HJ212_GAP_MAX_SPAN_HOURS", d.max_span_hours)),
            timeout_s=number("LANTIAN_HJ212_GAP_TIMEOUT_S", d.timeout_s, float),
        )
