"""Form schemas (ingest/forms/*.yaml): every form has one, they are checked, and a new form is a
new YAML file, not new code."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import openpyxl
import pytest
import yaml

from ingest.forms.parse import parse_workbook
from ingest.forms.schema import FORMS_DIR, SchemaError, load_registry
from samples.forms import FORM_IDS

REPO = Path(__file__).resolve().parent.parent
PROFILE = REPO / "config" / "city_profile.yaml"


def test_every_form_of_the_issue_has_a_schema() -> None:
    registry = load_registry(PROFILE)
    assert set(registry.forms) == set(FORM_IDS)
    for schema in registry.forms.values():
        assert schema.required and schema.record_key and schema.owner and schema.cadence
        assert schema.path is not None and schema.path.parent == FORMS_DIR


def test_code_lists_use_the_profile_counties() -> None:
    registry = load_registry(PROFILE)
    profile = yaml.safe_load(PROFILE.read_text(encoding="utf-8"))
    assert set(profile["city"]["counties"]) <= set(registry.codes["county"].canonical)
    assert len(registry.codes["industry"].canonical) == 15
    assert len(registry.codes["task_category"].canonical) == 9


@pytest.fixture()
def forms_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "forms"
    folder.mkdir()
    shutil.copy(FORMS_DIR / "_codes.yaml", folder / "_codes.yaml")
    return folder


NEW_FORM = """
form_id: straw_burning
title: 秸秆焚烧火点核查表
owner: 市农业农村局
owner_code: nyncj
cadence: daily
period: {granularity: day, sources: [title, filename]}
scope: {by: city}
record_key: [fire_id]
columns:
  - {name: fire_id, label: 火点编号, required: true}
  - {name: county, label: 县区, type: code, codes: county, required: true}
  - {name: found_at, label: 发现日期, type: date, required: true}
  - {name: area_mu, label: 过火面积, type: number, unit: 亩, units: {亩: 1, 公顷: 15}, min: 0}
"""


def test_a_new_form_is_a_yaml_file(forms_dir: Path, tmp_path: Path) -> None:
    (forms_dir / "straw_burning.yaml").write_text(NEW_FORM, encoding="utf-8")
    registry = load_registry(PROFILE, forms_dir)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["2026年3月5日秸秆焚烧火点核查表"])
    ws.append(["火点编号", "县区", "发现日期", "过火面积（公顷）"])
    ws.append(["HD-001", "洪洞", "2026.3.5", "2"])
    ws.append(["HD-002", "不存在县", 46086, 1])
    path = tmp_path / "nyncj_火点核查.xlsx"
    wb.save(path)
    parsed = parse_workbook(path, path.read_bytes(), registry.get("straw_burning"), registry)
    assert [r.period for r in parsed.records] == ["2026-03-05"]
    assert parsed.records[0].record == {
        "fire_id": "HD-001",
        "county": "洪洞县",
        "found_at": "2026-03-05",
        "area_mu": 30,
    }
    assert [(r.row_number, r.field) for r in parsed.rejects] == [(4, "county")]


@pytest.mark.parametrize(
    "change, fragment",
    [
        ({"colour": "red"}, "unknown key(s) colour"),
        ({"cadence": "sometimes"}, "cadence 'sometimes'"),
        ({"record_key": ["area_mu"]}, "must be required"),
        ({"record_key": ["nope"]}, "is not a column"),
        ({"form_id": "other"}, "must equal the file name"),
        ({"period": {"granularity": "hour"}}, "period.granularity"),
    ],
)
def test_schema_mistakes_name_the_file_and_key(
    forms_dir: Path, change: dict[str, object], fragment: str
) -> None:
    raw = yaml.safe_load(NEW_FORM)
    raw.update(change)
    (forms_dir / "straw_burning.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True))
    with pytest.raises(SchemaError, match=rf"straw_burning\.yaml: .*{re.escape(fragment)}"):
        load_registry(PROFILE, forms_dir)


@pytest.mark.parametrize(
    "column, fragment",
    [
        ({"name": "x", "label": "X", "type": "float"}, "type 'float'"),
        ({"name": "x", "label": "X", "type": "code", "codes": "nope"}, "not a code list"),
        ({"name": "x", "label": "X", "typo": 1}, "unknown key"),
        ({"name": "X Y", "label": "X"}, "snake_case"),
        ({"name": "x", "label": "县区"}, "header alias"),
    ],
)
def test_column_mistakes(forms_dir: Path, column: dict[str, object], fragment: str) -> None:
    raw = yaml.safe_load(NEW_FORM)
    raw["columns"].append(column)
    (forms_dir / "straw_burning.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True))
    with pytest.raises(SchemaError, match=re.escape(fragment)):
        load_registry(PROFILE, forms_dir)
