-- 清洁取暖“双替代”改造进度 (ingest/forms/dual_substitution.yaml), current version: one row per
-- county, township, village and mode (气代煤 / 电代煤) per month.
with

source as (
    select * from {{ ref('stg_forms__record') }}
    where form_id = 'dual_substitution'
)

select
    to_date(period, 'YYYY-MM') as report_month,
    scope as reporting_county,
    record ->> 'county' as county,
    record ->> 'township' as township,
    record ->> 'village' as village,
    record ->> 'mode' as substitution_mode,
    (record ->> 'planned_households')::integer as planned_households,
    (record ->> 'completed_households')::integer as completed_households,
    (record ->> 'completion_rate')::numeric as completion_rate_pct,
    (record ->> 'acceptance_date')::date as acceptance_date,
    batch_id,
    source_file,
    sheet,
    row_number as source_row,
    submitted_versions
from source
