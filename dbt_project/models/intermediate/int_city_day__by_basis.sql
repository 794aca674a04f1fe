-- City days under three bases: in_force (each day under the rule set in force on its date: the
-- official figure), HJ633-2012 and HJ633-2026 (every day under one set, for comparisons across
-- 2026-03-01), with the exceptional-event flag (e.g. sand and dust days, HJ 663-2026).
with

day_aqi as (
    select * from {{ ref('int_day__aqi') }}
    where scope = 'city'
),

events as (
    select distinct
        city,
        event_date
    from {{ ref('stg_reference__exceptional_event') }}
),

bases as (
    select
        'in_force' as basis,
        *
    from day_aqi
    where is_rule_in_force
    union all
    select
        rule_set as basis,
        *
    from day_aqi
)

select
    b.city,
    b.obs_date,
    b.basis,
    b.rule_set,
    b.rule_set_in_force,
    b.so2_24h,
    b.no2_24h,
    b.co_24h,
    b.pm10_24h,
    b.pm2_5_24h,
    b.o3_mda8,
    b.aqi,
    b.primary_pollutant,
    b.aqi <= 100 as is_good_day,
    b.aqi > 200 as is_heavy_pollution_day,
    e.city is not null as is_exceptional_event_day
from bases as b
left join events as e
    on b.city = e.city and b.obs_date = e.event_date
