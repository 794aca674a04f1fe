{{ config(**watermarked_incremental(['station_code', 'obs_date'], extra_indexes=[['city', 'obs_date']])) }}
-- Daily concentrations per station and natural day (hours ending 01:00..24:00, local time),
-- with the GB 3095 table 4 validity rules: a 24h mean needs >= 20 valid hourly values; an 8h
-- moving mean needs >= 6 valid hours; MDA8 (O3 daily max 8h) is the max of the 17 windows ending
-- 08:00..24:00 and needs >= 14 valid windows (configurable). Invalid values stay null, with the
-- counts kept so the reason is visible; nothing is averaged over too few hours.
with

-- the station-days that received an hour since the last run, recomputed from all their hours
affected as (
    select distinct
        station_code,
        obs_date
    from {{ ref('int_station_hour__current') }}
    where {{ new_since_last_run() }}
),

hours as (
    select h.*
    from {{ ref('int_station_hour__current') }} as h
    inner join affected as a
        on h.station_code = a.station_code and h.obs_date = a.obs_date
),

-- hour index 1..24 within the day: the hour ending at 01:00 is 1, the one ending at 24:00 is 24
indexed as (
    select
        *,
        extract(hour from hour_start_local)::integer + 1 as hour_index
    from hours
),

o3_windows as (
    select
        w.station_code,
        w.obs_date,
        w.window_end,
        count(h.o3_1h) as valid_hours,
        avg(h.o3_1h) as window_mean
    from (
        select distinct
            station_code,
            obs_date,
            generate_series(8, 24) as window_end
        from indexed
    ) as w
    left join indexed as h
        on
            w.station_code = h.station_code
            and w.obs_date = h.obs_date
            and h.hour_index between w.window_end - 7 and w.window_end
    group by w.station_code, w.obs_date, w.window_end
),

mda8 as (
    select
        station_code,
        obs_date,
        count(*) filter (where valid_hours >= {{ var('min_valid_hours_per_8h_window') }}) as o3_8h_valid_windows,
        max({{ round_half_even('window_mean', 0) }})
        filter (where valid_hours >= {{ var('min_valid_hours_per_8h_window') }}) as o3_8h_max_window
    from o3_windows
    group by station_code, obs_date
),

daily as (
    select
        station_code,
        obs_date,
        max(station_name) as station_name,
        max(city) as city,
        max(network) as network,
        max(rule_set) as rule_set,
        max(raw_batch_watermark) as raw_batch_watermark,
        count(*) as hours_present,
        {% for pol in ['so2', 'no2', 'co', 'pm10', 'pm2_5'] %}
            count({{ pol }}_1h) as {{ pol }}_valid_hours,
            avg({{ pol }}_1h) as {{ pol }}_24h_exact,
            bool_and({{ pol }}_status = 'not_monitored') as {{ pol }}_not_monitored,
        {% endfor %}
        count(o3_1h) as o3_valid_hours,
        max(o3_1h) as o3_1h_max_raw,
        bool_and(o3_status = 'not_monitored') as o3_not_monitored
    from indexed
    group by station_code, obs_date
)

select
    daily.station_code,
    daily.station_name,
    daily.city,
    daily.network,
    daily.obs_date,
    daily.rule_set,
    daily.raw_batch_watermark,
    daily.hours_present,
    {% for pol in ['so2', 'no2', 'co', 'pm10', 'pm2_5'] %}
        daily.{{ pol }}_valid_hours,
        daily.{{ pol }}_not_monitored,
        daily.{{ pol }}_valid_hours >= {{ var('min_valid_hours_per_day') }} as {{ pol }}_24h_valid,
        case
            when daily.{{ pol }}_valid_hours >= {{ var('min_valid_hours_per_day') }}
                then daily.{{ pol }}_24h_exact
        end as {{ pol }}_24h_exact,
    {% endfor %}
    daily.o3_valid_hours,
    daily.o3_not_monitored,
    case
        when daily.o3_valid_hours >= {{ var('min_valid_hours_o3_1h_max') }} then daily.o3_1h_max_raw
    end as o3_1h_max,
    mda8.o3_8h_valid_windows,
    mda8.o3_8h_valid_windows >= {{ var('min_valid_windows_mda8') }} as o3_8h_valid,
    case
        when mda8.o3_8h_valid_windows >= {{ var('min_valid_windows_mda8') }} then mda8.o3_8h_max_window
    end as o3_8h_exact
from daily
inner join mda8
    on daily.station_code = mda8.station_code and daily.obs_date = mda8.obs_date
