-- 国控站点小时数据 (staging): every published version of every station-hour as landed in
-- raw.station_hour_publication, renamed and typed. The pollutant columns stay the published text
-- (numbers, empty, NA or "/"): which version is current, the ozone layout of each file and the
-- validation of each value are intermediate/int_station_hour__current.sql.
-- Hours are labelled by their END (observed_at); hour_start_local and obs_date are the local
-- start and natural day of the hour.
select
    batch_id,
    source_file,
    line_number,
    publication_stage,
    station_code,
    position_name as station_name,
    area as city,
    network,
    observed_at,
    nullif(longitude, '')::numeric as longitude,
    nullif(latitude, '')::numeric as latitude,
    (observed_at at time zone '{{ var("local_timezone") }}') - interval '1 hour' as hour_start_local,
    ((observed_at at time zone '{{ var("local_timezone") }}') - interval '1 hour')::date as obs_date,
    nullif(primary_pollutant, '') as published_primary_pollutant,
    case when aqi ~ '^[0-9]+$' then aqi::integer end as published_aqi,
    coalesce(nullif(aqi, ''), 'NA') as published_aqi_text,
    pm10,
    pm10_24h,
    pm2_5,
    pm2_5_24h,
    o3,
    o3_24h,
    o3_8h,
    o3_8h_24h,
    no2,
    no2_24h,
    so2,
    so2_24h,
    co,
    co_24h
from {{ source('cnemc', 'station_hour_publication') }}
