"""The HJ 212 ingest step's printed run summary (pipelines/hj212.py) counts the data packets
whose DataTime had milliseconds (17 digits where HJ 212-2017 table 4 asks N14: accepted, kept,
counted in audit.hj212_file.datatime_milliseconds), for the files this run loaded."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from ingest.hj212.protocol import LOCAL_TZ, frame
from pipelines.hj212 import load_hj212_interval

HEAD = "QN=20260312090001123;ST=31;CN={cn};PW=123456;MN=14100231000000040000000001;Flag=4;"


def test_the_run_summary_prints_the_packets_with_a_millisecond_datatime(
    make_database: Callable[[str], str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("WAREHOUSE_URL", make_database("hj212_pipeline"))
    monkeypatch.setenv("LANTIAN_STATE", str(tmp_path / "state"))
    packets = [
        frame(HEAD.format(cn="2011") + "CP=&&DataTime=20260312085857223;a21026-Rtd=1.5&&"),
        frame(HEAD.format(cn="2011") + "CP=&&DataTime=20260312085858;a21026-Rtd=1.6&&"),
        frame(HEAD.format(cn="2011") + "CP=&&DataTime=20260312085859007;a21026-Rtd=1.7&&"),
    ]
    folder = tmp_path / "inbox" / "hj212" / "r1"
    folder.mkdir(parents=True)
    (folder / "2026-03-12T09.log").write_text("".join(p + "\r\n" for p in packets))
    hour = dt.datetime(2026, 3, 12, 9, tzinfo=LOCAL_TZ)
    span = (hour, hour + dt.timedelta(hours=1))
    result = load_hj212_interval(*span, "test", inbox=tmp_path / "inbox")
    printed = capsys.readouterr().out
    assert result["datatime_milliseconds"] == 2 and result["records_loaded"] == 3
    assert "HJ 212 data packets with a 17-digit DataTime (milliseconds kept): 2\n" in printed
    # the same file again: skipped by the ledger, nothing of this run has milliseconds
    again = load_hj212_interval(*span, "test", inbox=tmp_path / "inbox")
    assert (again["datatime_milliseconds"], again["files_unchanged"]) == (0, 1)
    assert "(milliseconds kept): 0\n" in capsys.readouterr().out
