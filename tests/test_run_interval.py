"""One interval rule for every kind of run (pipelines.settings.run_interval; issue 14, findings 2
and 3): scheduled runs and backfills load their data interval, params widen it, a manual run
without a logical date (no data interval in Airflow 3) loads the last complete hour, and a run
whose logical date stands for an hour it would not load fails at once."""

from __future__ import annotations

import datetime as dt

import pytest

from pipelines.settings import BEIJING, IntervalError, run_interval

H = dt.timedelta(hours=1)
EIGHT = dt.datetime(2026, 3, 15, 8, tzinfo=BEIJING)


def test_a_scheduled_run_or_backfill_loads_its_data_interval() -> None:
    assert run_interval({}, EIGHT, EIGHT + H) == (EIGHT, EIGHT + H)
    empty = {"interval_start": None, "interval_end": None}
    assert run_interval(empty, EIGHT, EIGHT + H) == (EIGHT, EIGHT + H)


def test_a_manual_run_without_a_logical_date_loads_the_last_complete_hour() -> None:
    # `airflow dags trigger lantian_station_ingest` as the README writes it: no data interval
    now = dt.datetime(2026, 3, 15, 1, 7, 30, tzinfo=dt.UTC)  # 09:07:30 in Beijing
    assert run_interval({}, None, None, now=now) == (EIGHT, EIGHT + H)


def test_params_name_the_interval_and_naive_times_are_beijing() -> None:
    params = {"interval_start": "2026-03-01T00:00", "interval_end": "2026-03-08T00:00"}
    start, end = run_interval(params, None, None)
    assert (start, end) == (
        dt.datetime(2026, 3, 1, tzinfo=BEIJING),
        dt.datetime(2026, 3, 8, tzinfo=BEIJING),
    )
    # a logical date inside them: the run loads the params' interval, its own hour included
    assert run_interval(params, EIGHT - dt.timedelta(days=10), EIGHT - dt.timedelta(days=10) + H)


def test_a_logical_date_outside_the_params_fails_instead_of_leaving_its_hour_unloaded() -> None:
    params = {"interval_start": "2026-03-01T00:00+08:00", "interval_end": "2026-03-02T00:00+08:00"}
    with pytest.raises(IntervalError, match=r"outside the params' interval.*backfill"):
        run_interval(params, EIGHT, EIGHT + H)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"interval_start": "2026-03-01T00:00"}, "give both"),
        ({"interval_start": "yesterday", "interval_end": "2026-03-02"}, "not an ISO 8601"),
        ({"interval_start": "2026-03-02", "interval_end": "2026-03-01"}, "empty interval"),
    ],
)
def test_a_bad_interval_says_what_to_pass(params: dict[str, object], message: str) -> None:
    with pytest.raises(IntervalError, match=message):
        run_interval(params, None, None)
