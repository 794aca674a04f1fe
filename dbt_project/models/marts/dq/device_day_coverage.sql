-- HJ 212 设备日数据覆盖 (CEMS outlets, dust monitors, micro-stations): expected vs received vs
-- valid device-hours per registered device and natural day (local time, UTC+8), for every day
-- the HJ 212 feed delivered data (a registered device silent all day has received_hours 0).
-- received_hours: hours with at least one hourly value (the device's CN=2061 packet or derived
-- from its minutes); valid_hours: hours in which every factor the device reported is valid
-- (flag N, or >= 45 valid minutes: HJ 212-2017 Appendix D formula 24, RULES.md s5).
-- is_day_valid: at least var min_valid_hours_per_day (20) valid hours (Appendix D formula 25).
-- Validated by expectations/suites/device_day_coverage.json.
-- Incremental: a run recomputes whole days (every registered device's row of the day): the days
-- with an int_hj212__hourly row rebuilt since the last run. A reload of the device registry
-- empties the table first and rebuilds it (reset_on_reference_change).
{{ config(**watermarked_incremental(
    ['device_mn', 'day'],
    extra_indexes=[['day']],
    pre_hook="{{ reset_on_reference_change('device_registry', 'hj212', 'registry_batch_id') }}",
)) }}
with

feed_days as (
    select distinct obs_date as day
    from {{ ref('int_hj212__hourly') }}
    where {{ new_since_last_run() }}
),

hourly as (
    select
        h.device_mn,
        h.obs_date,
        h.hour_start,
        bool_and(h.is_valid) as hour_valid,
        max(h.batch_id) as batch_id
    from {{ ref('int_hj212__hourly') }} as h
    inner join feed_days as f on h.obs_date = f.day
    group by h.device_mn, h.obs_date, h.hour_start
),

per_day as (
    select
        device_mn,
        obs_date as day,
        count(*) as received_hours,
        count(*) filter (where hour_valid) as valid_hours,
        max(batch_id) as last_batch_id
    from hourly
    group by device_mn, obs_date
),

devices as (
    select * from {{ ref('stg_hj212__device') }}
)

select
    d.device_mn::text as device_mn,
    d.device_kind::text as device_kind,
    d.owner_name::text as owner_name,
    d.uscc::text as uscc,
    d.outlet_id::text as outlet_id,
    d.outlet_name::text as outlet_name,
    d.county::text as county,
    f.day::date as day,
    24::integer as expected_hours,
    coalesce(p.received_hours, 0)::integer as received_hours,
    coalesce(p.valid_hours, 0)::integer as valid_hours,
    (24 - coalesce(p.received_hours, 0))::integer as missing_hours,
    (coalesce(p.received_hours, 0) - coalesce(p.valid_hours, 0))::integer as invalid_hours,
    (coalesce(p.valid_hours, 0) >= {{ var('min_valid_hours_per_day', 20) }})::boolean as is_day_valid,
    p.last_batch_id::bigint as last_batch_id,
    d.registry_batch_id::bigint as registry_batch_id,
    {{ raw_watermark(ref('int_hj212__hourly'), 'raw_batch_watermark') }}::bigint as raw_batch_watermark
from devices as d
cross join feed_days as f
left join per_day as p
    on d.device_mn = p.device_mn and f.day = p.day
