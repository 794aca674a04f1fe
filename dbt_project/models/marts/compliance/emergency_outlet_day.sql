-- 在线监测全覆盖, by day: one row per listed outlet (emergency_outlet_coverage) and local day of
-- the feed window: hours received and valid (the most of any pollutant of the outlet, from
-- cems_outlet_day), whether it sent valid data (>= 1 valid hour) and whether the day is valid
-- (>= 20 valid hours, HJ 212-2017 Appendix D formula 25). Outlets without a device: 0 hours.
with

coverage as (
    select * from {{ ref('emergency_outlet_coverage') }}
),

device_days as (
    select
        device_mn,
        obs_date,
        max(received_hours) as received_hours,
        max(valid_hours) as valid_hours,
        array_agg(distinct b order by b) filter (where b is not null) as batch_ids
    from {{ ref('cems_outlet_day') }}
    left join lateral unnest(batch_ids) as b on true
    group by device_mn, obs_date
),

window_days as (
    select distinct obs_date from device_days
)

select
    c.list_year::integer as list_year,
    c.credit_code::text as credit_code,
    c.enterprise_name::text as enterprise_name,
    c.county::text as county,
    c.production_line::text as production_line,
    c.outlet_key::text as outlet_key,
    c.device_mn::text as device_mn,
    w.obs_date::date as obs_date,
    c.coverage_status::text as coverage_status,
    coalesce(d.received_hours, 0)::integer as received_hours,
    coalesce(d.valid_hours, 0)::integer as valid_hours,
    (coalesce(d.valid_hours, 0) > 0)::boolean as sent_valid_data,
    (coalesce(d.valid_hours, 0) >= {{ var('min_valid_hours_per_day', 20) }})::boolean as is_day_valid,
    coalesce(d.batch_ids, '{}')::bigint[] as batch_ids,
    c.batch_id::bigint as list_batch_id,
    c.source_file::text as list_source_file,
    c.sheet::text as list_sheet,
    c.source_row::integer as list_source_row
from coverage as c
cross join window_days as w
left join device_days as d
    on
        c.device_mn = d.device_mn
        and w.obs_date = d.obs_date
