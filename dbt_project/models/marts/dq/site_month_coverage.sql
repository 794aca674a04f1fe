-- 工地扬尘监测覆盖: every construction site of each monthly site list (施工工地扬尘管控清单,
-- ingest/forms/construction_site.yaml) has a dust monitor, the monitor is registered as an HJ 212
-- dust device (ST=39), and it sent data in the month. has_data is null for months in which the
-- HJ 212 feed delivered nothing at all (no judgement possible).
-- Validated by expectations/suites/site_month_coverage.json.
with

sites as (
    select * from {{ ref('stg_forms__construction_site') }}
),

devices as (
    select * from {{ ref('stg_hj212__device') }}
),

usage as (
    select
        device_mn,
        date_trunc('month', day)::date as month_start,
        sum(received_hours) as received_hours,
        sum(valid_hours) as valid_hours,
        sum(expected_hours) as expected_hours
    from {{ ref('device_day_coverage') }}
    group by device_mn, date_trunc('month', day)
),

feed_months as (
    select distinct date_trunc('month', day)::date as month_start
    from {{ ref('device_day_coverage') }}
)

select
    s.site_code::text as site_code,
    s.report_month::date as month_start,
    s.project_name::text as project_name,
    s.county::text as county,
    s.dust_monitor_mn::text as dust_monitor_mn,
    (s.dust_monitor_mn is not null)::boolean as has_monitor,
    (d.device_mn is not null and d.device_kind = 'dust')::boolean as monitor_registered,
    coalesce(u.expected_hours, 0)::integer as expected_hours,
    coalesce(u.received_hours, 0)::integer as received_hours,
    coalesce(u.valid_hours, 0)::integer as valid_hours,
    (
        case when f.month_start is not null then coalesce(u.received_hours, 0) > 0 end
    )::boolean as has_data,
    s.batch_id::bigint as batch_id,
    s.source_file::text as source_file,
    s.source_row::integer as source_row
from sites as s
left join devices as d on s.dust_monitor_mn = d.device_mn
left join usage as u
    on s.dust_monitor_mn = u.device_mn and s.report_month = u.month_start
left join feed_months as f on s.report_month = f.month_start
