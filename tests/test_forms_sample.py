"""The bureau-form sample generator (samples.forms): every form, every messy feature,
deterministic bytes, and exactly the rows, rejects and duplicates it announces. No database."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from ingest.forms.cells import validate_credit_code
from ingest.forms.parse import WorkbookError, parse_workbook
from ingest.forms.schema import FormRegistry, load_registry
from samples.forms import (
    FORM_IDS,
    REGISTRY_FILE,
    Summary,
    generate_forms,
    main,
    mn_for,
    read_device_registry,
)

REPO = Path(__file__).resolve().parent.parent
PROFILE = REPO / "config" / "city_profile.yaml"
AS_OF = dt.date(2026, 3, 15)
SEED = 20260301
FEATURES = {
    "title_rows",
    "two_row_header",
    "merged_down",
    "notes_below",
    "hidden_sheet",
    "sheet_per_month",
    "workbook_per_county",
    "fullwidth_digits",
    "empty_markers",
    "dates_mixed",
    "date_words",
    "numbers_as_text",
    "trailing_spaces",
    "percent_strings",
    "units_in_header",
    "total_row",
    "blank_numbered_rows",
    "column_number_row",
    "section_banners",
    "duplicate_row",
    "period_in_title",
    "revision",
}


@pytest.fixture(scope="module")
def registry() -> FormRegistry:
    return load_registry(PROFILE)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Summary:
    return generate_forms(PROFILE, tmp_path_factory.mktemp("forms_a"), SEED, AS_OF, broken=True)


def test_every_form_has_workbooks_with_every_messy_feature(sample: Summary) -> None:
    for form_id in FORM_IDS:
        assert sample.of_form(form_id), form_id
    assert sample.features >= FEATURES
    assert len(sample.of_form("key_task")) == 12  # weeks 2026-W01..W11 and a re-sent W11
    assert {w.scope for w in sample.of_form("dual_substitution")} >= {"尧都区", "洪洞县", "霍州市"}
    assert sum(w.rejected_rows for w in sample.workbooks) > 10
    assert sum(w.duplicates for w in sample.workbooks) >= 1


def test_same_seed_same_bytes_other_seed_other_bytes(sample: Summary, tmp_path: Path) -> None:
    again = generate_forms(PROFILE, tmp_path / "b", SEED, AS_OF, broken=True)
    for book in sample.workbooks:
        assert (sample.out_dir / book.path).read_bytes() == (again.out_dir / book.path).read_bytes()
    other = generate_forms(PROFILE, tmp_path / "c", SEED + 1, AS_OF)
    first = sample.workbooks[0].path
    assert (sample.out_dir / first).read_bytes() != (other.out_dir / first).read_bytes()


def test_the_reader_finds_exactly_what_the_generator_announces(
    sample: Summary, registry: FormRegistry
) -> None:
    for book in sample.workbooks:
        path = sample.out_dir / book.path
        parsed = parse_workbook(path, path.read_bytes(), registry.get(book.form_id), registry)
        assert (parsed.records_in, parsed.rejected_rows, parsed.duplicates) == (
            book.rows_in,
            book.rejected_rows,
            book.duplicates,
        ), book.path
        assert {(r.sheet, r.row_number, r.field) for r in parsed.rejects} == {
            (b.sheet, b.row, b.field) for b in book.bad_cells
        }, book.path
        assert sorted(p for p, _ in parsed.slices) == sorted(book.periods), book.path
        assert {s for _, s in parsed.slices} == {book.scope}, book.path


def test_broken_workbooks_fail_with_file_sheet_and_problem(
    sample: Summary, registry: FormRegistry
) -> None:
    expected = {
        "missing_required_column": "工作表“工地清单”第2行表头缺少必填列“施工单位”",
        "corrupt": "不是有效的 xlsx 工作簿",
        "wrong_form": "看起来是《重点用煤单位煤炭消费月报》",
    }
    assert set(sample.broken.values()) == set(expected)
    for rel, kind in sample.broken.items():
        path = sample.out_dir / rel
        with pytest.raises(WorkbookError) as caught:
            parse_workbook(path, path.read_bytes(), registry.get(rel.split("/")[1]), registry)
        assert str(caught.value).startswith(path.name) and expected[kind] in str(caught.value)


def test_without_a_registry_mns_follow_the_scheme(tmp_path: Path, registry: FormRegistry) -> None:
    config = tmp_path / "config"
    config.mkdir()
    shutil.copy(PROFILE, config / "city_profile.yaml")
    out = generate_forms(config / "city_profile.yaml", tmp_path / "inbox", SEED, AS_OF)
    assert not out.registry_used and "device_registry.csv not found" in out.notes[0]
    mns = []
    for book in out.of_form("emergency_list"):
        path = out.out_dir / book.path
        parsed = parse_workbook(path, path.read_bytes(), registry.get("emergency_list"), registry)
        for record in parsed.records:
            validate_credit_code(record.record["credit_code"])
            mns += record.record["mn"] or []
    assert mns and all(len(mn) == 24 and mn[6:8] == "31" for mn in mns)
    assert mn_for("dust", "141002", 7) == "141002390000000000000007"


def test_the_lists_carry_the_registry_devices_when_it_exists(
    sample: Summary, registry: FormRegistry
) -> None:
    devices = read_device_registry(REPO / "config" / REGISTRY_FILE)
    if not devices:
        pytest.skip("config/device_registry.csv not written yet")
    listed: set[str] = set()
    for book in sample.of_form("emergency_list"):
        if book.revision:
            continue
        path = sample.out_dir / book.path
        parsed = parse_workbook(path, path.read_bytes(), registry.get("emergency_list"), registry)
        listed |= {mn for r in parsed.records for mn in (r.record["mn"] or [])}
        rejected = (json.loads(r.raw)["mn"] for r in parsed.rejects)  # rows with a bad cell
        listed |= {mn for text in rejected for mn in text.split("、") if len(mn) == 24}
    cems = {d.mn for d in devices if d.kind == "cems"}
    assert listed <= cems and len(listed) >= len(cems) - len(sample.notes)
    site_book = sample.of_form("construction_site")[-1]
    path = sample.out_dir / site_book.path
    parsed = parse_workbook(path, path.read_bytes(), registry.get("construction_site"), registry)
    site_mns = {r.record["dust_monitor_mn"] for r in parsed.records} - {None}
    assert site_mns <= {d.mn for d in devices if d.kind == "dust"} and site_mns


def test_devices_come_from_the_registry_when_it_exists(
    tmp_path: Path, registry: FormRegistry
) -> None:
    config = tmp_path / "config"
    config.mkdir()
    shutil.copy(PROFILE, config / "city_profile.yaml")
    (config / "device_registry.csv").write_text(
        "mn,kind,name,uscc,outlet_id,outlet_name,county,industry,o2_ref_pct,emission_standard_id\n"
        "AAAA1410023100000001,cems,山西测试焦化有限公司,91520000214434146R,DA001,1#焦炉烟囱,尧都区,焦化,8,x\n"
        "AAAA1410023100000002,cems,山西测试焦化有限公司,91520000214434146R,DA002,2#焦炉烟囱,尧都区,焦化,8,x\n"
        "AAAA_BAD,cems,山西测试焦化有限公司,91520000214434146R,DA003,3#焦炉烟囱,尧都区,焦化,8,x\n"
        "BBBB1410243900000001,dust,测试工地项目,,,,洪洞县,,,\n",
        encoding="utf-8",
    )
    out = generate_forms(config / "city_profile.yaml", tmp_path / "inbox", SEED, AS_OF)
    assert out.registry_used
    assert out.notes == [
        "registry MN 'AAAA_BAD' left off the emergency list: 设备编号（MN）“AAAA_BAD”应为6至24位字母或数字（HJ 212）"
    ]
    book = next(b for b in out.of_form("emergency_list") if b.scope == "尧都区" and not b.revision)
    path = out.out_dir / book.path
    parsed = parse_workbook(path, path.read_bytes(), registry.get("emergency_list"), registry)
    firm = [r.record for r in parsed.records if r.record["credit_code"] == "91520000214434146R"]
    assert [(r["production_line"], r["outlets"], r["mn"]) for r in firm] == [
        ("1#焦炉烟囱", "DA001", ["AAAA1410023100000001"]),
        ("2#焦炉烟囱", "DA002", ["AAAA1410023100000002"]),
    ]
    assert all(r["enterprise_name"] == "山西测试焦化有限公司" for r in firm)
    other = [
        r.record["mn"] for r in parsed.records if r.record["credit_code"] != "91520000214434146R"
    ]
    assert all(mn is None for mn in other)  # only registry devices send packets
    sites = out.of_form("construction_site")[-1]
    parsed = parse_workbook(
        out.out_dir / sites.path,
        (out.out_dir / sites.path).read_bytes(),
        registry.get("construction_site"),
        registry,
    )
    first = parsed.records[0].record
    assert (first["project_name"], first["dust_monitor_mn"], first["county"]) == (
        "测试工地项目",
        "BBBB1410243900000001",
        "洪洞县",
    )
    assert all(r.record["dust_monitor_mn"] is None for r in parsed.records[1:])


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--profile", str(PROFILE), "--out", str(tmp_path), "--as-of", "2026-03-15"]) == 0
    assert "emergency_list:" in capsys.readouterr().out
    assert (tmp_path / "forms" / "annual_target" / "dqb_2026年度目标.xlsx").exists()
