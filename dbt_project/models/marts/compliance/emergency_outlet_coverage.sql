-- 在线监测全覆盖 (online-monitoring coverage of the emergency list): one row per listed outlet
-- (int_compliance__emergency_outlet): whether it has a registered CEMS device, how many days of
-- the feed window it sent valid data (>= 1 valid hour) and how many were valid days (>= 20 valid
-- hours, HJ 212-2017 Appendix D), and the enterprise's coverage over all its listed outlets:
-- full (every outlet has a device), partial, none. Per day: emergency_outlet_day, which this
-- aggregates (its rows are the listed outlets' days, far fewer than cems_outlet_day's).
with

outlets as (
    select * from {{ ref('int_compliance__emergency_outlet') }}
),

-- the listed outlets' days (emergency_outlet_day, incremental): the feed window's days, and per
-- device its days with valid data and valid days (the most of any pollutant, from cems_outlet_day)
outlet_days as (
    select * from {{ ref('emergency_outlet_day') }}
),

window_days as (
    select count(distinct obs_date) as days from outlet_days
),

per_device as (
    select
        device_mn,
        count(distinct obs_date) filter (where sent_valid_data) as days_with_valid_data,
        count(distinct obs_date) filter (where is_day_valid) as valid_days
    from outlet_days
    where device_mn is not null
    group by device_mn
)

select
    o.list_year::integer as list_year,
    o.credit_code::text as credit_code,
    o.enterprise_name::text as enterprise_name,
    o.county::text as county,
    o.industry::text as industry,
    o.performance_grade::text as performance_grade,
    o.production_line::text as production_line,
    o.outlet_key::text as outlet_key,
    o.outlet_id::text as outlet_id,
    o.listed_mn::text as listed_mn,
    o.device_mn::text as device_mn,
    (o.device_mn is not null)::boolean as has_registered_device,
    o.coverage_status::text as coverage_status,
    w.days::integer as window_days,
    coalesce(p.days_with_valid_data, 0)::integer as days_with_valid_data,
    coalesce(p.valid_days, 0)::integer as valid_days,
    (count(*) over enterprise)::integer as enterprise_outlets,
    (count(o.device_mn) over enterprise)::integer as enterprise_outlets_with_device,
    case
        when count(o.device_mn) over enterprise = count(*) over enterprise then 'full'
        when count(o.device_mn) over enterprise > 0 then 'partial'
        else 'none'
    end::text as enterprise_coverage,
    o.batch_id::bigint as batch_id,
    o.source_file::text as source_file,
    o.sheet::text as sheet,
    o.source_row::integer as source_row,
    o.registry_batch_id::bigint as registry_batch_id
from outlets as o
cross join window_days as w
left join per_device as p on o.device_mn = p.device_mn
window enterprise as (partition by o.list_year, o.credit_code)
