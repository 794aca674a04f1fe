-- 重点用煤单位煤炭消费月报 (ingest/forms/coal_consumption.yaml), current version: one row per
-- unit and month. Tonnes (万吨 converted at load), calorific value MJ/kg (大卡 converted at
-- 4.1868 kJ/kcal), total sulphur in percent.
with

source as (
    select * from {{ ref('stg_forms__record') }}
    where form_id = 'coal_consumption'
)

select
    to_date(period, 'YYYY-MM') as report_month,
    record ->> 'unit_name' as unit_name,
    record ->> 'credit_code' as credit_code,
    record ->> 'county' as county,
    record ->> 'coal_use' as coal_use,
    (record ->> 'coal_tonnes')::numeric as coal_tonnes,
    (record ->> 'ytd_tonnes')::numeric as ytd_tonnes,
    (record ->> 'calorific_value')::numeric as calorific_value_mj_per_kg,
    (record ->> 'sulphur_pct')::numeric as sulphur_pct,
    batch_id,
    source_file,
    sheet,
    row_number as source_row,
    submitted_versions
from source
