"""Where a run finds its inputs and writes its reports, and which interval it loads: the one home
of the settings every pipeline shares (from the environment, with the sample's defaults)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from ingest.core import paths, warehouse


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


def run_interval(
    params: dict[str, object], data_interval_start: dt.datetime, data_interval_end: dt.datetime
) -> tuple[dt.datetime, dt.datetime]:
    """The interval a run loads: its data interval, or the ISO ``interval_start``/``interval_end``
    params of a manual run or backfill (so a year loads in one run)."""
    start = params.get("interval_start")
    end = params.get("interval_end")
    return (
        dt.datetime.fromisoformat(str(start)) if start else data_interval_start,
        dt.datetime.fromisoformat(str(end)) if end else data_interval_end,
    )
