{{ config(materialized='view') }}
-- Share of each station feed's values invalidated in the latest run (the station-hours of
-- int_station_hour__current re-derived last, raw_batch_watermark at its highest): the gate suite station_feed_validity
-- blocks the station marts only when a feed's share is systemic (above the suite's threshold,
-- default 5 %); a few bad values are a warning, listed in quarantine.station_value_rejected.
-- Values counted: the six 1h concentrations a station-hour publishes (not "/", not missing).
with

latest_run as (
    select * from {{ ref('int_station_hour__current') }}
    where raw_batch_watermark = (
        select max(s.raw_batch_watermark) from {{ ref('int_station_hour__current') }} as s
    )
),

per_hour as (
    select
        network,
        raw_batch_watermark,
        {% for pol in ['pm10', 'pm2_5', 'o3', 'no2', 'so2', 'co'] %}
            (case when {{ pol }}_status in ('reported', 'out_of_range', 'unreadable') then 1 else 0 end)
            {%- if not loop.last %} + {% endif %}
        {% endfor %} as values_published,
        {% for pol in ['pm10', 'pm2_5', 'o3', 'no2', 'so2', 'co'] %}
            (case when {{ pol }}_status in ('out_of_range', 'unreadable') then 1 else 0 end)
            {%- if not loop.last %} + {% endif %}
        {% endfor %} as values_invalid
    from latest_run
)

select
    network,
    max(raw_batch_watermark) as raw_batch_watermark,
    count(*) as station_hours,
    sum(values_published) as values_published,
    sum(values_invalid) as values_invalid,
    round(sum(values_invalid)::numeric / nullif(sum(values_published), 0), 4) as invalid_share
from per_hour
group by network
