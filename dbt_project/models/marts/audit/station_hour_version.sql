{{ config(**watermarked_incremental(['station_code', 'observed_at', 'batch_id'])) }}
-- 站点小时数据版本史: every published version of every station-hour (real-time, re-sent,
-- audited), when it was loaded, and when it was current in the marts, so an auditor can tell
-- which version a past report used: the version with current_from <= T < coalesce(current_until,
-- infinity). Precedence (as in staging): audited over real-time, then the later load.
with

{{ station_hour_versions_since_last_run() }}

-- the few station-hours published more than once: only they need the precedence logic
revised_hours as (
    select
        station_code,
        observed_at
    from source
    group by station_code, observed_at
    having count(*) > 1
),

versions as (
    select
        r.station_code,
        r.observed_at,
        r.batch_id,
        r.source_file,
        r.line_number,
        r.publication_stage,
        r.aqi as published_aqi_text,
        r.primary_pollutant as published_primary_pollutant,
        r.pm10,
        r.pm2_5,
        r.o3_24h as o3_1h,
        r.no2,
        r.so2,
        r.co,
        b.finished_at as loaded_at,
        case when r.publication_stage = 'audited' then 1 else 0 end as stage_rank,
        rh.station_code is not null as is_revised_hour
    from source as r
    inner join {{ source('audit', 'load_batch') }} as b on r.batch_id = b.batch_id
    left join revised_hours as rh
        on r.station_code = rh.station_code and r.observed_at = rh.observed_at
),

revised_timed as (
    select
        v.*,
        (
            select min(w.loaded_at)
            from versions as w
            where
                w.is_revised_hour
                and w.station_code = v.station_code
                and w.observed_at = v.observed_at
                and w.batch_id > v.batch_id
                and w.stage_rank >= v.stage_rank
        ) as superseded_at,
        exists(
            select 1
            from versions as w
            where
                w.is_revised_hour
                and w.station_code = v.station_code
                and w.observed_at = v.observed_at
                and w.batch_id < v.batch_id
                and w.stage_rank > v.stage_rank
        ) as outranked_on_arrival
    from versions as v
    where v.is_revised_hour
),

timed as (
    select
        *,
        null::timestamptz as superseded_at,
        false as outranked_on_arrival
    from versions
    where not is_revised_hour
    union all
    select * from revised_timed
)

select
    station_code,
    observed_at,
    case
        when is_revised_hour then row_number() over (partition by station_code, observed_at order by batch_id)
        else 1
    end as version_number,
    is_revised_hour,
    publication_stage,
    published_aqi_text,
    published_primary_pollutant,
    pm10,
    pm2_5,
    o3_1h,
    no2,
    so2,
    co,
    loaded_at,
    case when not outranked_on_arrival then loaded_at end as current_from,
    case when not outranked_on_arrival then superseded_at end as current_until,
    not outranked_on_arrival and superseded_at is null as is_current,
    batch_id,
    source_file,
    line_number,
    {{ raw_station_watermark() }}
        as raw_batch_watermark
from timed
