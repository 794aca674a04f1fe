-- 施工工地扬尘管控清单 (ingest/forms/construction_site.yaml), current version: one row per site
-- per monthly list. Floor area in 万平方米 (平方米 headers converted at load).
with

source as (
    select * from {{ ref('stg_forms__record') }}
    where form_id = 'construction_site'
)

select
    to_date(period, 'YYYY-MM') as report_month,
    record ->> 'site_code' as site_code,
    record ->> 'project_name' as project_name,
    record ->> 'site_type' as site_type,
    record ->> 'county' as county,
    record ->> 'builder' as builder,
    record ->> 'contractor' as contractor,
    (record ->> 'floor_area')::numeric as floor_area_10k_m2,
    record ->> 'responsible_leader' as responsible_leader,
    record ->> 'supervisor_housing' as supervisor_housing,
    record ->> 'supervisor_environment' as supervisor_environment,
    record ->> 'supervisor_urban' as supervisor_urban,
    record ->> 'supervisor_township' as supervisor_township,
    record ->> 'dust_monitor_mn' as dust_monitor_mn,
    (record ->> 'start_date')::date as start_date,
    (record ->> 'planned_completion')::date as planned_completion,
    batch_id,
    source_file,
    sheet,
    row_number as source_row,
    submitted_versions
from source
