-- 隔离数值 / station-feed values invalidated at the value level: one row per published cell of the
-- version in use (int_station_hour__current) that is out of its analyser range (seed
-- analyser_ranges) or not a number. The record itself is loaded (raw keeps every value as
-- published); only this value is left out of every score, and the station-hour is scored from
-- the remaining pollutants by the missing-pollutant rule (HJ 633-2026 s5.3.1). Beside
-- quarantine.rejected_record (records the loader could not load), in the same shape.
with

hours as (
    select * from {{ ref('int_station_hour__current') }}
    where invalid_value_columns is not null
),

cells as (
    select
        hours.batch_id,
        hours.source_file,
        hours.line_number,
        hours.station_code,
        hours.observed_at,
        hours.network,
        cell.column_name,
        -- the pollutant of the column: pm2_5_24h -> pm2_5, o3_8h_24h -> o3
        regexp_replace(cell.column_name, '_(8h_24h|8h|24h)$', '') as pollutant,
        to_jsonb(raw) ->> cell.column_name as value,
        raw as raw_row
    from hours
    cross join lateral unnest(string_to_array(hours.invalid_value_columns, ',')) as cell (column_name)
    inner join {{ source('cnemc', 'station_hour_publication') }} as raw
        on hours.batch_id = raw.batch_id and hours.line_number = raw.line_number
)

select
    cells.batch_id,
    batch.source,
    cells.source_file,
    cells.line_number,
    cells.station_code,
    cells.observed_at,
    cells.network,
    cells.column_name,
    cells.value,
    case
        when cells.value ~ '^-?[0-9]+(\.[0-9]+)?$'
            then
                'out_of_range: ' || cells.value || ' outside ' || ranges.min_value || '..'
                || ranges.max_value || ' ' || ranges.unit || ' (' || ranges.source || ')'
        else 'not_a_number: ' || cells.value
    end as reason,
    case when cells.value ~ '^-?[0-9]+(\.[0-9]+)?$' then 'out_of_range' else 'not_a_number' end
        as reason_code,
    ranges.min_value as range_min,
    ranges.max_value as range_max,
    ranges.unit as range_unit,
    ranges.source as range_source,
    cells.raw_row::text as raw_record
from cells
left join {{ source('audit', 'load_batch') }} as batch on cells.batch_id = batch.batch_id
left join {{ ref('analyser_ranges') }} as ranges on cells.pollutant = ranges.pollutant
