-- 溯源 of marts.construction_site_compliance: for a mart row (report_month, site_code), the site's
-- row of the monthly list (source_kind 'site_row'), its inspection rows ('inspection_row') and the
-- PM10 readings of its dust monitor that month ('hj212_reading').
--   select * from lineage.construction_site_compliance_source
--   where report_month = :month and site_code = :site
with

mart as (
    select * from {{ ref('construction_site_compliance') }}
),

form_rows as (
    select
        m.report_month,
        m.site_code,
        'site_row' as source_kind,
        m.batch_id,
        m.sheet,
        m.source_row
    from mart as m
    union all
    select
        m.report_month,
        m.site_code,
        'inspection_row' as source_kind,
        split_part(k, ':', 1)::bigint as batch_id,
        split_part(k, ':', 2) as sheet,
        split_part(k, ':', 3)::integer as source_row
    from mart as m
    cross join lateral unnest(m.inspection_rows) as k
)

select
    fr.report_month,
    fr.site_code,
    fr.source_kind,
    f.source_file,
    fr.sheet,
    fr.source_row,
    fr.batch_id,
    f.raw_cells,
    null::text as device_mn,
    null::timestamptz as data_time,
    null::text as command_code,
    null::numeric as value,
    null::text as data_flag,
    null::integer as line_number
from form_rows as fr
inner join {{ ref('form_source_row') }} as f
    on fr.batch_id = f.batch_id and fr.sheet = f.sheet and fr.source_row = f.source_row
union all
select
    m.report_month,
    m.site_code,
    'hj212_reading' as source_kind,
    r.source_file,
    null::text as sheet,
    null::integer as source_row,
    r.batch_id,
    null::jsonb as raw_cells,
    r.device_mn,
    r.data_time,
    r.command_code,
    r.value,
    r.data_flag,
    r.line_number
from mart as m
inner join {{ ref('hj212_source_reading') }} as r
    on
        m.dust_monitor_mn = r.device_mn
        and date_trunc('month', r.obs_date)::date = m.report_month
        and r.pollutant_code = 'a34002'
