-- 县区日AQI: daily AQI per county and natural day: the mean of the county's stations' valid daily
-- values (int_county_day__concentration), scored under the rule set in force on the date
-- (int_day__aqi: HJ 633 IAQI, primary pollutant, s5.3.1 for missing indicators), with category
-- and good / heavy-pollution flags; the station counts show what each value rests on.
with

days as (
    select * from {{ ref('int_county_day__by_basis') }}
    where basis = 'in_force'
),

concentration as (
    select * from {{ ref('int_county_day__concentration') }}
)

select
    d.city,
    d.county,
    d.obs_date,
    c.stations_reporting,
    c.pm2_5_24h_valid_stations,
    c.pm10_24h_valid_stations,
    d.rule_set,
    d.so2_24h,
    d.no2_24h,
    d.co_24h,
    d.pm10_24h,
    d.pm2_5_24h,
    d.o3_mda8,
    d.aqi,
    d.primary_pollutant,
    cat.category,
    cat.colour,
    d.is_good_day,
    d.is_heavy_pollution_day,
    d.is_exceptional_event_day
from days as d
inner join concentration as c
    on d.city = c.city and d.county = c.county and d.obs_date = c.obs_date
left join {{ ref('aqi_categories') }} as cat
    on d.rule_set = cat.rule_set and d.aqi between cat.aqi_lo and cat.aqi_hi
