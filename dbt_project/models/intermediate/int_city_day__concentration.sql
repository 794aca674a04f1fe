-- City daily concentrations: the arithmetic mean over the city's stations that have a valid daily
-- value for the indicator (HJ 663 city scale). Decision (RULES.md 2 "verify"): MDA8 is taken as
-- the mean of the station MDA8s, not from a city-mean hourly series; the station counts are kept.
with

station_day as (
    select * from {{ ref('int_station_day__concentration') }}
)

select
    city,
    obs_date,
    max(rule_set) as rule_set,
    count(*) as stations_reporting,
    {% for ind in ['so2_24h', 'no2_24h', 'co_24h', 'pm10_24h', 'pm2_5_24h', 'o3_8h'] %}
        count({{ ind }}_exact) as {{ ind }}_valid_stations,
        avg({{ ind }}_exact) as {{ ind }}_exact,
        bool_and({{ ind.split('_')[0] if ind != 'pm2_5_24h' else 'pm2_5' }}_not_monitored) as {{ ind }}_not_monitored,
    {% endfor %}
    count(o3_1h_max) as o3_1h_max_valid_stations,
    avg(o3_1h_max) as o3_1h_max
from station_day
group by city, obs_date
