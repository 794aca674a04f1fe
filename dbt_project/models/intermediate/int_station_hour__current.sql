-- The current version of every station-hour, its ozone reading and its validated values: one
-- row per station-hour from the published versions of staging.stg_cnemc__station_hour.
-- Version: audited values replace the real-time ones; among versions of one stage the latest
-- load (highest batch) wins.
-- Reading of the published columns (README "Reading the national publication", checked on every
-- file of ../shared/real and archived hours of 2022-2026): pm10 / pm2_5 / no2 / so2 / co are 1h
-- means; the other *_24h are 24h moving means. The 1h O3 is decided per file (batch) and row from
-- what the two ozone columns carry, never by date:
--   * o3 above o3_24h on some row and never below it (2022 to mid-2023): o3 is the running daily
--     maximum of the 1h values and o3_24h the 1h value; a row without o3_24h has no 1h O3;
--   * the mirror case (o3_24h above o3, never below): o3 is the 1h value (not seen, by symmetry);
--   * otherwise (o3_24h empty on every row, 2023-2025 and the live layout from May 2026; or both
--     columns equal, March-April 2026): o3 is the 1h value, o3_24h where o3 is empty.
-- o3_1h_source names the column that gave the 1h O3 (null: no 1h O3 in the row).
-- Values: a number inside the pollutant's analyser range (seed analyser_ranges) is kept; a number
-- outside it or a text that is not a number is invalidated at the value level (status
-- out_of_range / unreadable, null here, listed in quarantine.station_value_rejected); empty or NA
-- is missing; "/" is not monitored at this station (HJ 633-2026 s5.3.2).
{{ config(**watermarked_incremental(['station_code', 'observed_at'], extra_indexes=[['station_code', 'obs_date'], ['obs_date'], ['observed_at']])) }}
{%- set pollutants = ['pm10', 'pm2_5', 'o3', 'no2', 'so2', 'co'] -%}
{%- set value_columns = [
    ('pm10', 'pm10'), ('pm10_24h', 'pm10'), ('pm2_5', 'pm2_5'), ('pm2_5_24h', 'pm2_5'),
    ('o3', 'o3'), ('o3_24h', 'o3'), ('o3_8h', 'o3'), ('o3_8h_24h', 'o3'), ('no2', 'no2'),
    ('no2_24h', 'no2'), ('so2', 'so2'), ('so2_24h', 'so2'), ('co', 'co'), ('co_24h', 'co')
] -%}
-- Incremental: a run re-derives only the station-hours that received a version since the last
-- run (all their versions are read again, so the precedence below sees the whole history).
with

{{ station_hour_versions_since_last_run(ref('stg_cnemc__station_hour')) }}

-- The ozone layout of each file, from all of its rows (a batch is one file).
batch_o3_layout as (
    select
        r.batch_id,
        case
            when bool_or({{ station_value_above('r.o3', 'r.o3_24h') }}) and not bool_or({{ station_value_above('r.o3_24h', 'r.o3') }})
                then 'o3_running_max'
            when bool_or({{ station_value_above('r.o3_24h', 'r.o3') }}) and not bool_or({{ station_value_above('r.o3', 'r.o3_24h') }})
                then 'o3_24h_running_max'
            when bool_or({{ station_value_above('r.o3', 'r.o3_24h') }}) then 'inconsistent'
            else 'o3_1h'
        end as o3_layout
    from {{ ref('stg_cnemc__station_hour') }} as r
    where r.batch_id in (select distinct s.batch_id from source as s)
    group by r.batch_id
),

ranges as (
    select
        {% for pol in pollutants %}
            max(min_value) filter (where pollutant = '{{ pol }}') as {{ pol }}_min,
            max(max_value) filter (where pollutant = '{{ pol }}') as {{ pol }}_max
            {%- if not loop.last %},{% endif %}
        {% endfor %}
    from {{ ref('analyser_ranges') }}
),

latest as (
    select distinct on (source.station_code, source.observed_at)
        source.*,
        layout.o3_layout,
        count(*) over (partition by source.station_code, source.observed_at) as published_versions
    from source
    left join batch_o3_layout as layout on source.batch_id = layout.batch_id
    -- audited values replace the real-time ones; among versions of one stage the latest load wins
    order by
        source.station_code asc,
        source.observed_at asc,
        (source.publication_stage = 'audited') desc,
        source.batch_id desc
),

o3_read as (
    select
        latest.*,
        case
            when latest.o3_layout = 'o3_running_max'
                then case when {{ station_value_present('o3_24h') }} then 'o3_24h' end
            when latest.o3_layout = 'inconsistent'
                then case when {{ station_value_present('o3_24h') }} then 'o3_24h' end
            when {{ station_value_present('o3') }} then 'o3'
            when {{ station_value_present('o3_24h') }} then 'o3_24h'
        end as o3_1h_source
    from latest
),

cells as (
    select
        o3_read.*,
        case o3_read.o3_1h_source when 'o3' then o3_read.o3 when 'o3_24h' then o3_read.o3_24h end as o3_1h_text,
        -- "/" in either ozone column: O3 not monitored at this station
        case when o3_read.o3 = '/' or o3_read.o3_24h = '/' then '/' end as o3_marker
    from o3_read
),

renamed as (
    select
        cells.station_code,
        cells.station_name,
        cells.city,
        cells.network,
        cells.observed_at,
        cells.published_versions,
        cells.publication_stage,
        cells.batch_id,
        cells.source_file,
        cells.line_number,
        cells.published_versions > 1 as is_revised,
        cells.o3_layout,
        cells.o3_1h_source,
        cells.longitude,
        cells.latitude,
        cells.hour_start_local,
        cells.obs_date,
        cells.published_primary_pollutant,
        {{ primary_pollutant_codes('cells.published_primary_pollutant') }} as published_primary_codes,
        cells.published_aqi,
        {% for col, name, pol in [
            ('pm10', 'pm10_1h', 'pm10'), ('pm2_5', 'pm2_5_1h', 'pm2_5'), ('o3_1h_text', 'o3_1h', 'o3'),
            ('no2', 'no2_1h', 'no2'), ('so2', 'so2_1h', 'so2'), ('co', 'co_1h', 'co'),
            ('pm10_24h', 'pm10_24h', 'pm10'), ('pm2_5_24h', 'pm2_5_24h', 'pm2_5'),
            ('no2_24h', 'no2_24h', 'no2'), ('so2_24h', 'so2_24h', 'so2'), ('co_24h', 'co_24h', 'co'),
            ('o3', 'published_o3', 'o3'), ('o3_8h', 'published_o3_8h', 'o3'),
            ('o3_8h_24h', 'published_o3_8h_24h', 'o3')
        ] %}
            case when {{ station_value_in_range('cells.' ~ col, pol) }} then cells.{{ col }}::numeric end as {{ name }},
        {% endfor %}
        {% for pol in pollutants %}
            {%- set col = 'o3_1h_text' if pol == 'o3' else pol -%}
            case
                when {{ 'cells.o3_marker' if pol == 'o3' else 'cells.' ~ col }} = '/' then 'not_monitored'
                when {{ station_value_in_range('cells.' ~ col, pol) }} then 'reported'
                when {{ station_value_is_number('cells.' ~ col) }} then 'out_of_range'
                when {{ station_value_present('cells.' ~ col) }} then 'unreadable'
                else 'missing'
            end as {{ pol }}_status,
        {% endfor %}
        -- published columns whose value was invalidated (out of range or not a number), comma-
        -- separated in column order: listed with the range and its source in
        -- quarantine.station_value_rejected (text, not an array: dbt unit-test fixtures take no arrays)
        nullif(concat_ws(
            ',',
            {% for col, pol in value_columns %}
                case
                    when {{ station_value_present('cells.' ~ col) }} and not {{ station_value_in_range('cells.' ~ col, pol) }}
                        then '{{ col }}'
                end{% if not loop.last %},{% endif %}
            {% endfor %}
        ), '') as invalid_value_columns,
        cells.published_aqi_text,
        {{ raw_station_watermark() }}
            as raw_batch_watermark
    from cells
    cross join ranges
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
