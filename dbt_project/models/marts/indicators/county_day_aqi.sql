-- 县区日AQI: daily AQI per county and natural day: the mean of the county's stations' valid daily
-- values (int_county_day__concentration), scored under the rule set in force on the date
-- (int_day__aqi: HJ 633 IAQI, primary pollutant, s5.3.1 for missing indicators), with category
-- and good / heavy-pollution flags (the day-AQI columns of macros/day_aqi.sql, as for stations
-- and cities) and the city's exceptional-event flag (int_county_day__by_basis); the station
-- counts show what each value rests on.
with

day_aqi as (
    {{ day_aqi_in_force('county') }}
),

days as (
    select * from {{ ref('int_county_day__by_basis') }}
    where basis = 'in_force'
),

concentration as (
    select * from {{ ref('int_county_day__concentration') }}
)

select
    d.city,
    b.county,
    d.obs_date,
    c.stations_reporting,
    c.pm2_5_24h_valid_stations,
    c.pm10_24h_valid_stations,
    d.rule_set,
    {{ day_aqi_columns('d', 'cat') }},
    b.is_exceptional_event_day
from day_aqi as d
inner join days as b
    on d.entity_code = b.city || '/' || b.county and d.obs_date = b.obs_date
inner join concentration as c
    on b.city = c.city and b.county = c.county and b.obs_date = c.obs_date
{{ aqi_category_join('d', 'cat') }}
