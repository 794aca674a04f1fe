-- 工地“七个百分之百”检查记录 (ingest/forms/site_inspection.yaml), current version: one row per
-- inspection of a site; each measure true (落实) / false (未落实) / null (not checked).
with

source as (
    select * from {{ ref('stg_forms__record') }}
    where form_id = 'site_inspection'
)

select
    to_date(period, 'YYYY-MM') as report_month,
    record ->> 'site_code' as site_code,
    record ->> 'project_name' as project_name,
    record ->> 'county' as county,
    (record ->> 'inspection_date')::date as inspection_date,
    record ->> 'inspector' as inspector,
    (record ->> 'hoarding')::boolean as hoarding,
    (record ->> 'stockpile_cover')::boolean as stockpile_cover,
    (record ->> 'wet_earthworks')::boolean as wet_earthworks,
    (record ->> 'hardened_roads')::boolean as hardened_roads,
    (record ->> 'vehicle_washing')::boolean as vehicle_washing,
    (record ->> 'sealed_transport')::boolean as sealed_transport,
    (record ->> 'online_monitoring')::boolean as online_monitoring,
    record ->> 'findings' as findings,
    (record ->> 'rectification_deadline')::date as rectification_deadline,
    record ->> 'rectification_status' as rectification_status,
    batch_id,
    source_file,
    sheet,
    row_number as source_row,
    submitted_versions
from source
