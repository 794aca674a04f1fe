"""How a run behaves when something is wrong, as the data team meets it (issue 14, finding 5):
one bad national file does not stop the county feed of the same run, and the summary stops
reporting a failed file once it has been fixed and loaded."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from ingest.core.ledger import LoadFailed
from ingest.station import parse as ns
from pipelines import station as pipeline
from pipelines.summary import summary
from tests.test_county import DAY, _hour_file, _rows


def test_a_bad_national_file_does_not_stop_the_county_feed_and_a_fixed_one_clears(
    make_database: Callable[[str], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = make_database("operations")
    monkeypatch.setenv("WAREHOUSE_URL", url)
    inbox = tmp_path / "inbox"
    start = dt.datetime.combine(DAY, dt.time(), ns.LOCAL_TZ)
    for h in (1, 2):
        _hour_file(inbox / "national_station", start + dt.timedelta(hours=h), ("N1", "N2"))
        _hour_file(inbox / "county_station", start + dt.timedelta(hours=h), ("C1", "C2"))
    bad = inbox / "national_station" / f"{start + dt.timedelta(hours=1):%Y-%m-%dT%H}.csv"
    good = bad.read_bytes()
    bad.write_text("not,the,publication,layout\n1,2,3,4\n", encoding="utf-8")
    end = start + dt.timedelta(hours=2)

    with pytest.raises(LoadFailed, match=r"national_station.*T01\.csv"):
        pipeline.load_station_interval(start, end, loaded_by="test", inbox=inbox)
    # the county files of the same run loaded all the same, and so did the good national file
    partial = pipeline.load_station_interval(
        start, end, loaded_by="test", inbox=inbox, raise_failed=False
    )
    assert partial["files_unchanged"] == 3 and len(partial["failures"]) == 1  # type: ignore[arg-type]
    loaded = _rows(
        url,
        "select source, count(*) from audit.load_batch where status = 'loaded'"
        " group by source order by source",
    )
    assert loaded == [
        ("county_station_hourly", 2),
        ("national_station_hourly", 1),
    ]
    assert "batches: 3 loaded, 1 files failed" in summary(url)

    bad.write_bytes(good)  # the data team fixes the file and re-runs the interval
    fixed = pipeline.load_station_interval(start, end, loaded_by="test", inbox=inbox)
    assert fixed["batches_loaded"] == 1 and fixed["failures"] == []
    assert "batches: 4 loaded, 0 files failed" in summary(url)


def test_a_failed_dbt_build_is_the_verdict_not_the_suites_after_it() -> None:
    """Issue 14, finding 1: when a build of the run failed, the verdict names it (the suites
    after it judged marts that were not rebuilt) and says where its error is."""
    from pipelines.transform import StepFailed, verdict_step

    with pytest.raises(
        StepFailed, match=r"dbt build failed in dbt_build_upstream .*dq\.dbt_result"
    ):
        verdict_step("no-such-run", failed_builds=["dbt_build_upstream"])
