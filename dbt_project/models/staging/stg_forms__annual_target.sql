-- 年度目标 (ingest/forms/annual_target.yaml), current version: one row per year, area (全市 or a
-- county) and indicator. Indicator codes match raw.ref_annual_target (pm2_5_annual_mean...),
-- plus coal_consumption_total (万吨: the 2180万吨 cap).
with

source as (
    select * from {{ ref('stg_forms__record') }}
    where form_id = 'annual_target'
)

select
    period::integer as target_year,
    record ->> 'county' as area,
    record ->> 'indicator' as indicator,
    (record ->> 'target_value')::numeric as target_value,
    record ->> 'unit' as unit,
    record ->> 'direction' as direction,
    (record ->> 'baseline')::numeric as baseline_value,
    record ->> 'source' as target_source,
    batch_id,
    source_file,
    sheet,
    row_number as source_row,
    submitted_versions
from source
