"""dbt staging of the bureau forms (models/staging/stg_forms__*): typed columns of the CURRENT
version (latest workbook per form, period and scope), built with real dbt on real PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
import yaml

from ingest.core import warehouse
from ingest.forms.load import load_inbox
from ingest.forms.schema import load_registry
from pipelines.dbt import run_dbt
from samples.forms import generate_forms

REPO = Path(__file__).resolve().parent.parent
PROFILE = REPO / "config" / "city_profile.yaml"
AS_OF = dt.date(2026, 3, 15)


def test_staging_models_type_the_current_version(
    make_database: Callable[[str], str], tmp_path: Path
) -> None:
    url = make_database("forms_dbt")
    sample = generate_forms(PROFILE, tmp_path / "inbox", 20260301, AS_OF)
    engine = warehouse.engine(url)
    load_inbox(engine, sample.out_dir, load_registry(PROFILE), tmp_path / "reports")
    # the dq marts on forms also read the HJ 212 and station models: they are tested in
    # tests/test_expectations_marts.py, not here
    outcome = run_dbt(
        ["build", "--select", "@staging.stg_forms__*", "--exclude", "path:models/marts/dq"],
        url,
        target_path=tmp_path / "dbt_target",
    )
    assert outcome.success, outcome.failed
    assert outcome.results >= 12

    def rows(sql: str, **params: object) -> list[sa.Row]:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql), params).all()

    current = rows(
        "select form_id, sum(records) from raw.form_submission"
        " where superseded_by_batch is null group by form_id"
    )
    staged = dict(rows("select form_id, count(*) from staging.stg_forms__record group by form_id"))
    assert {form: int(n) for form, n in current} == staged

    emergency = next(w for w in sample.of_form("emergency_list") if w.revision)
    changed = rows(
        "select performance_grade, source_file, submitted_versions, list_year, reporting_county"
        " from staging.stg_forms__emergency_list where credit_code = :c",
        c=emergency.facts["changed_credit_code"],
    )
    assert {tuple(r) for r in changed} == {
        (emergency.facts["new_grade"], emergency.path, 2, 2026, emergency.scope)
    }
    assert rows(
        "select 1 from staging.stg_forms__emergency_list where credit_code = :c",
        c=emergency.facts["added_credit_code"],
    )
    mns = rows("select unnest(mns) from staging.stg_forms__emergency_list")
    assert mns and all(6 <= len(mn) <= 24 for (mn,) in mns)

    tasks = rows(
        "select report_week, count(*), count(*) filter (where deadline is null),"
        " count(*) filter (where deadline_text = '长期坚持')"
        " from staging.stg_forms__key_task group by report_week order by report_week"
    )
    # one ledger a week from 2026-W01 to the week of AS_OF (2026-03-15 is in W11)
    assert [(w, n) for w, n, _, _ in tasks] == [(f"2026-W{k:02d}", 60) for k in range(1, 12)]
    assert all(nulls == words > 0 for _, _, nulls, words in tasks)
    revision = next(w for w in sample.of_form("key_task") if w.revision)
    week = rows(
        "select source_file from staging.stg_forms__key_task where report_week = '2026-W11'"
    )
    assert {r.source_file for r in week} == {revision.path}

    coal = dict(
        rows(
            "select report_month, min(source_file) from staging.stg_forms__coal_consumption"
            " group by report_month"
        )
    )
    assert coal[dt.date(2026, 2, 1)].startswith("revisions/")
    assert coal[dt.date(2026, 1, 1)] == "forms/coal_consumption/fgw_2026年煤炭消费月报.xlsx"

    targets = dict(
        rows(
            "select indicator, target_value from staging.stg_forms__annual_target"
            " where area = '全市' and target_year = 2026"
        )
    )
    profile = yaml.safe_load(PROFILE.read_text(encoding="utf-8"))
    config = next(t for t in profile["targets"] if t["year"] == 2026)
    assert targets["coal_consumption_total"] == Decimal(2180)
    assert targets["pm2_5_annual_mean"] == Decimal(str(config["pm2_5_annual_mean_target"]))
    assert targets["good_days"] == Decimal(str(config["good_days_target"]))

    sites = dict(
        rows(
            "select report_month, count(*) from staging.stg_forms__construction_site"
            " group by report_month"
        )
    )
    assert sites == {dt.date(2026, 2, 1): 57, dt.date(2026, 3, 1): 58}
    inspection = sample.of_form("inspection")  # one list a month, January to March
    assert len(inspection) == 3
    assert rows("select count(*) from staging.stg_forms__inspection")[0][0] == sum(
        book.loaded for book in inspection
    )
    engine.dispose()
