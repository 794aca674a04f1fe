-- 重点用煤单位煤炭消费月报 (ingest/forms/coal_consumption.yaml), current version: one row per
-- unit and month. Tonnes (万吨 converted at load), calorific value MJ/kg (大卡 converted at
-- 4.1868 kJ/kcal), total sulphur in percent.
{{ stg_form('coal_consumption', [
    "to_date(period, 'YYYY-MM') as report_month",
    'record.unit_name', 'record.credit_code', 'record.county', 'record.coal_use',
    'record.coal_tonnes::numeric', 'record.ytd_tonnes::numeric',
    'record.calorific_value::numeric as calorific_value_mj_per_kg', 'record.sulphur_pct::numeric',
]) }}
