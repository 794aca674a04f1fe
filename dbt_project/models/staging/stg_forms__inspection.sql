-- 督查问题清单 (ingest/forms/inspection.yaml), current version: one row per inspection finding.
with

source as (
    select * from {{ ref('stg_forms__record') }}
    where form_id = 'inspection'
)

select
    to_date(period, 'YYYY-MM') as report_month,
    record ->> 'issue_no' as issue_no,
    (record ->> 'inspection_date')::date as inspection_date,
    record ->> 'inspection_type' as inspection_type,
    record ->> 'leader' as leader,
    record ->> 'county' as county,
    record ->> 'location' as location,
    record ->> 'finding' as finding,
    record ->> 'responsible_unit' as responsible_unit,
    (record ->> 'rectification_deadline')::date as rectification_deadline,
    record ->> 'rectification_status' as rectification_status,
    (record ->> 'rectified_date')::date as rectified_date,
    batch_id,
    source_file,
    sheet,
    row_number as source_row,
    submitted_versions
from source
