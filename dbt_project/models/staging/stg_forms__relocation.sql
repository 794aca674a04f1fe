-- 退城入园推进台账 (ingest/forms/relocation.yaml), current version: one row per project and month
-- with its milestones (planned dates null when the ledger says 待定).
with

source as (
    select * from {{ ref('stg_forms__record') }}
    where form_id = 'relocation'
)

select
    to_date(period, 'YYYY-MM') as report_month,
    record ->> 'project_no' as project_no,
    record ->> 'enterprise_name' as enterprise_name,
    record ->> 'credit_code' as credit_code,
    record ->> 'county' as county,
    record ->> 'industry' as industry,
    record ->> 'target_park' as target_park,
    (record ->> 'agreement_date')::date as agreement_date,
    (record ->> 'closure_planned')::date as closure_planned,
    (record ->> 'closure_done')::date as closure_done,
    (record ->> 'production_planned')::date as production_planned,
    (record ->> 'production_done')::date as production_done,
    record ->> 'status' as status,
    record ->> 'progress_note' as progress_note,
    batch_id,
    source_file,
    sheet,
    row_number as source_row,
    submitted_versions
from source
