-- One row per station-hour: the latest published version (highest batch) of each station-hour.
-- Reading of the published columns (checked on ../shared/real, see README "Reading the national
-- publication"): pm10 / pm2_5 / no2 / so2 / co are 1h means; the 1h O3 is the column named
-- o3_24h (the names o3 / o3_24h are swapped in the archive); the other *_24h are 24h moving means.
-- o3, o3_8h and o3_8h_24h are kept as published_* (o3 is the running daily max 1h O3 in 2022
-- and equals o3_24h in 2026; o3_8h >= o3_8h_24h on every real row): not used for AQI.
-- Markers: empty or NA = missing or invalid; "/" = not monitored at this station (HJ 633-2026 s5.3.2).
{{
    config(
        materialized='incremental',
        unique_key=['station_code', 'observed_at'],
        incremental_strategy='delete+insert',
        indexes=[
            {'columns': ['station_code', 'observed_at'], 'unique': True},
            {'columns': ['raw_batch_watermark']},
            {'columns': ['station_code', 'obs_date']},
            {'columns': ['obs_date']},
            {'columns': ['observed_at']}
        ]
    )
}}
-- Incremental: a run re-derives only the station-hours that received a version since the last
-- run (all their versions are read again, so the precedence below sees the whole history).
with

{{ station_hour_versions_since_last_run() }}

latest as (
    select distinct on (source.station_code, source.observed_at)
        source.*,
        -- the feed that landed the version (ingest.load.FEEDS): national-control (国控) or county
        -- (县控) stations
        case when batch.source = 'county_station_hourly' then 'county' else 'national' end as network,
        count(*) over (partition by source.station_code, source.observed_at) as published_versions
    from source
    left join {{ source('audit', 'load_batch') }} as batch on source.batch_id = batch.batch_id
    -- audited values replace the real-time ones; among versions of one stage the latest load wins
    order by
        source.station_code asc,
        source.observed_at asc,
        (source.publication_stage = 'audited') desc,
        source.batch_id desc
),

renamed as (
    select
        station_code,
        position_name as station_name,
        area as city,
        network,
        observed_at,
        published_versions,
        publication_stage,
        batch_id,
        source_file,
        line_number,
        published_versions > 1 as is_revised,
        nullif(longitude, '')::numeric as longitude,
        nullif(latitude, '')::numeric as latitude,
        (observed_at at time zone '{{ var("local_timezone") }}') - interval '1 hour' as hour_start_local,
        ((observed_at at time zone '{{ var("local_timezone") }}') - interval '1 hour')::date as obs_date,
        nullif(primary_pollutant, '') as published_primary_pollutant,
        case when aqi ~ '^[0-9]+$' then aqi::integer end as published_aqi,
        {% for col, name in [
            ('pm10', 'pm10_1h'), ('pm2_5', 'pm2_5_1h'), ('o3_24h', 'o3_1h'), ('no2', 'no2_1h'),
            ('so2', 'so2_1h'), ('co', 'co_1h'), ('pm10_24h', 'pm10_24h'), ('pm2_5_24h', 'pm2_5_24h'),
            ('no2_24h', 'no2_24h'), ('so2_24h', 'so2_24h'), ('co_24h', 'co_24h'),
            ('o3', 'published_o3'), ('o3_8h', 'published_o3_8h'), ('o3_8h_24h', 'published_o3_8h_24h')
        ] %}
            case when {{ col }} ~ '^[0-9]+(\.[0-9]+)?$' then {{ col }}::numeric end as {{ name }},
        {% endfor %}
        {% for col, name in [
            ('pm10', 'pm10'), ('pm2_5', 'pm2_5'), ('o3_24h', 'o3'), ('no2', 'no2'), ('so2', 'so2'),
            ('co', 'co')
        ] %}
            case
                when {{ col }} = '/' then 'not_monitored'
                when {{ col }} ~ '^[0-9]+(\.[0-9]+)?$' then 'reported'
                else 'missing'
            end as {{ name }}_status,
        {% endfor %}
        coalesce(nullif(aqi, ''), 'NA') as published_aqi_text,
        {{ raw_station_watermark() }}
            as raw_batch_watermark
    from latest
),

with_rule_set as (
    select
        renamed.*,
        rs.rule_set
    from renamed
    inner join {{ ref('aqi_rule_sets') }} as rs
        on renamed.obs_date between rs.effective_from and rs.effective_to
)

select * from with_rule_set
