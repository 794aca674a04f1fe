"""The HJ 212 and compliance path is incremental: after late hours, replays and registry
reloads, every incremental model holds exactly the rows a ``--full-refresh`` build gives.

No expected figure is written here: each incremental state is compared row by row (without the
run watermark) with a full rebuild of the same raw data. The late data are what forwarders do: a
receiver's file for an earlier hour that arrives hours late, an hour first delivered in part and
then re-sent whole by another forwarder (its first half duplicates, its second half new), and a
replay of a whole earlier file (duplicates: nothing changes; the sample's own conflicting
replays are in the data too). The registry changes a
reference O2 and drops a device, then goes back to its first version (its earlier, lower batch);
a corrected emergency list arrives with the later hours.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from ingest.core import warehouse
from ingest.forms.load import load_inbox
from ingest.forms.schema import load_registry as load_form_registry
from ingest.hj212 import load as hj212_load
from ingest.hj212 import registry as device_registry
from ingest.hj212.protocol import LOCAL_TZ
from pipelines.dbt import run_dbt
from samples import hj212 as gen
from samples.forms import generate_forms
from tests.conftest import REPO
from tests.test_warehouse_path import snapshot

PROFILE = REPO / "config" / "city_profile.yaml"
START, END = dt.date(2026, 3, 12), dt.date(2026, 3, 15)
TABLES = (
    "intermediate.int_hj212__hourly",
    "marts.cems_outlet_hour",
    "marts.cems_outlet_day",
    "marts.device_day_coverage",
    "marts.emergency_outlet_day",
    # full rebuilds over the incremental ones: they must agree as well
    "marts.emergency_outlet_coverage",
    "marts.emergency_response_verification",
    "marts.construction_site_compliance",
    # the county scorecard's CEMS outlet-days (incremental on cems_outlet_hour)
    "intermediate.int_accountability__cems_outlet_day",
)
SELECT = [
    "--select",
    "+cems_outlet_day",
    "+device_day_coverage",
    "+construction_site_compliance",
    "+emergency_outlet_coverage",
    "+emergency_response_verification",
    "+int_accountability__cems_outlet_day",
]


def _hour(path: Path) -> dt.datetime:
    hour = hj212_load.hour_of_file(path)
    assert hour is not None
    return hour


def _build(url: str, tmp: Path, *extra: str) -> None:
    outcome = run_dbt(["build", *SELECT, *extra], url, target_path=tmp / "dbt")
    assert outcome.success, outcome.failed


def _rebuilt_days(engine: sa.Engine) -> tuple[set[dt.date], set[dt.date]]:
    """The days of int_hj212__hourly rebuilt by the last run, and those left as they were."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "select distinct obs_date, raw_batch_watermark = (select max(raw_batch_watermark)"
                " from intermediate.int_hj212__hourly) from intermediate.int_hj212__hourly"
            )
        ).all()
    return {d for d, new in rows if new}, {d for d, new in rows if not new}


def _equal_after_full_refresh(engine: sa.Engine, url: str, tmp: Path) -> None:
    incremental = snapshot(engine, TABLES)
    _build(url, tmp, "--full-refresh")
    full = snapshot(engine, TABLES)
    for table in TABLES:
        assert len(full[table]) > 0, table
        assert incremental[table] == full[table], table


@pytest.mark.slow
def test_incremental_hj212_runs_equal_a_full_rebuild(
    make_database: Callable[[str], str], tmp_path: Path
) -> None:
    sample = tmp_path / "sample"
    gen.generate_hj212(PROFILE, sample, START, END, 11)
    files = sorted((sample / "hj212").rglob("*.log"))
    cut = dt.datetime(2026, 3, 14, tzinfo=LOCAL_TZ)  # the first build sees the hours before
    late = next(p for p in files if _hour(p) == cut - dt.timedelta(hours=20))
    partial = next(p for p in files if _hour(p) == cut - dt.timedelta(hours=15) and p != late)
    inbox = tmp_path / "inbox"

    def deliver(path: Path, folder: str | None = None, lines: slice | None = None) -> Path:
        target = inbox / "hj212" / (folder or path.parent.name) / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        if lines is None:
            shutil.copy(path, target)
        else:
            rows = path.read_bytes().split(b"\r\n")
            target.write_bytes(b"\r\n".join(rows[lines]) + b"\r\n")
        return target

    url = make_database("hj212_incremental")
    engine = warehouse.engine(url)
    registry = sample / "hj212_device_registry.csv"
    assert device_registry.load_registry(engine, registry) is not None
    # the bureau workbooks (emergency list, construction sites) the compliance marts join
    # (their revisions, among them a corrected emergency list, arrive with the later hours)
    generate_forms(PROFILE, inbox, 20260301, END)
    later = tmp_path / "revisions_later"
    (inbox / "revisions").rename(later)
    forms = load_inbox(engine, inbox, load_form_registry(PROFILE), tmp_path / "reports")
    assert forms.batches and not [b for b in forms.batches if b.status == "failed"]
    begin = dt.datetime.combine(START, dt.time(), LOCAL_TZ)
    for path in files:
        if _hour(path) < cut and path != late:
            half = len(path.read_bytes().split(b"\r\n")) // 2
            deliver(path, lines=slice(0, half) if path == partial else None)
    hj212_load.load_interval(engine, inbox, begin, cut, "test")
    _build(url, tmp_path)

    # then: six more hours, the late file, the partial hour re-sent whole by another forwarder,
    # and the same bytes of an earlier file again through a third forwarder (duplicates only)
    for path in files:
        if cut <= _hour(path) < cut + dt.timedelta(hours=6):
            deliver(path)
    deliver(late)
    deliver(partial, folder="replay-" + partial.parent.name)
    deliver(files[30], folder="replay-again")
    with engine.connect() as conn:
        readings_before = conn.execute(sa.text("select count(*) from raw.hj212_reading")).scalar()
    result = hj212_load.load_interval(engine, inbox, begin, cut + dt.timedelta(hours=6), "test")
    later.rename(inbox / "revisions")
    revised = load_inbox(engine, inbox, load_form_registry(PROFILE), tmp_path / "reports")
    assert any("emergency_list" in b.source_file for b in revised.batches if b.status == "loaded")
    with engine.connect() as conn:
        readings_after = conn.execute(sa.text("select count(*) from raw.hj212_reading")).scalar()
    assert result.total("duplicates") > 0 and readings_after > readings_before
    _build(url, tmp_path)  # incremental
    rebuilt, kept = _rebuilt_days(engine)
    # the late and re-sent hours' day was rebuilt (for those devices), the first day was not
    assert (cut - dt.timedelta(days=1)).date() in rebuilt and START in kept - rebuilt
    _equal_after_full_refresh(engine, url, tmp_path)

    # the registry changes: one device's reference O2, another device removed
    with registry.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    cems = [r for r in rows if r["kind"] == "cems" and r["o2_ref_pct"]]
    cems[0]["o2_ref_pct"] = str(float(cems[0]["o2_ref_pct"]) + 1)
    changed = tmp_path / "registry_changed.csv"
    with changed.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(r for r in rows if r is not cems[1])
    assert device_registry.load_registry(engine, changed) is not None
    _build(url, tmp_path)
    _equal_after_full_refresh(engine, url, tmp_path)

    # and back to the first version: its earlier batch, a lower id than the one built with
    assert device_registry.load_registry(engine, registry) is not None
    _build(url, tmp_path)
    _equal_after_full_refresh(engine, url, tmp_path)
    engine.dispose()
