{{ config(**watermarked_incremental(['station_code', 'day'])) }}
-- 站点日数据覆盖: expected vs present vs valid station-hours per station and natural day, for every
-- station known to the warehouse and every day the feed delivered data (a station absent all day has
-- present_hours 0). Validated by the GX suite expectations/suites/station_day_coverage.json.
-- valid_hours: hours with a reported value for all six pollutants (not-monitored ones excused).
with

-- the days that received a station-hour since the last run: every station's row for them is rebuilt
affected_days as (
    select distinct obs_date as day
    from {{ ref('int_station_hour__current') }}
    where {{ new_since_last_run() }}
),

hours as (
    select h.*
    from {{ ref('int_station_hour__current') }} as h
    inner join affected_days as d on h.obs_date = d.day
),

stations as (
    select
        station_code,
        max(station_name) as station_name,
        max(city) as city,
        min(obs_date) as first_day
    from {{ ref('int_station_day__concentration') }}
    group by station_code
),

present as (
    select
        station_code,
        obs_date as day,
        max(raw_batch_watermark) as raw_batch_watermark,
        count(*) as present_hours,
        count(*) filter (
            where
            pm10_status <> 'missing'
            and pm2_5_status <> 'missing'
            and o3_status <> 'missing'
            and no2_status <> 'missing'
            and so2_status <> 'missing'
            and co_status <> 'missing'
        ) as valid_hours
    from hours
    group by station_code, obs_date
),

watermark as (
    select max(raw_batch_watermark) as raw_batch_watermark from present
)

select
    s.station_code,
    s.station_name,
    s.city,
    c.day,
    24 as expected_hours,
    coalesce(p.present_hours, 0)::integer as present_hours,
    coalesce(p.valid_hours, 0)::integer as valid_hours,
    (24 - coalesce(p.present_hours, 0))::integer as missing_hours,
    w.raw_batch_watermark
from stations as s
-- a station is expected from the first day it was published (new stations appear mid-period;
-- one that stops publishing keeps showing its missing hours)
inner join affected_days as c
    on s.first_day <= c.day
cross join watermark as w
left join present as p
    on s.station_code = p.station_code and c.day = p.day
