-- 同比: year-on-year per city for the same period (month, quarter, 旬, year to date, year):
-- PM10 and PM2.5 means and good days against the same period a year earlier, and the
-- "两升一降" flag (PM10 up, PM2.5 up, good days down). basis = in_force compares the official
-- figures; when the two periods fall under different rule sets (rule_sets_differ), the rows with
-- basis = HJ633-2026 (or HJ633-2012) give the comparison under one consistent rule set.
-- A calendar period still in progress is compared with the whole period a year earlier
-- (days_with_data shows it); the ytd rows compare like with like.
with

stats as (
    select * from {{ ref('city_period_stats') }}
    where period_type in ('xun', 'month', 'quarter', 'ytd', 'year')
)

select
    cur.city,
    cur.basis,
    cur.events_excluded,
    cur.period_type,
    cur.period_start,
    cur.period_end,
    prev.period_start as previous_period_start,
    prev.period_end as previous_period_end,
    cur.days_with_data,
    prev.days_with_data as previous_days_with_data,
    cur.rule_sets_in_force,
    prev.rule_sets_in_force as previous_rule_sets_in_force,
    coalesce(cur.rule_sets_in_force, '') <> coalesce(prev.rule_sets_in_force, '') as rule_sets_differ,
    cur.pm10_mean,
    prev.pm10_mean as previous_pm10_mean,
    cur.pm10_mean - prev.pm10_mean as pm10_change,
    cur.pm2_5_mean,
    prev.pm2_5_mean as previous_pm2_5_mean,
    cur.pm2_5_mean - prev.pm2_5_mean as pm2_5_change,
    case
        when prev.pm2_5_mean > 0 then {{ round_half_even('100.0 * (cur.pm2_5_mean - prev.pm2_5_mean) / prev.pm2_5_mean', 1) }}
    end as pm2_5_change_pct,
    cur.good_days,
    prev.good_days as previous_good_days,
    cur.good_days - prev.good_days as good_days_change,
    cur.good_day_pct,
    prev.good_day_pct as previous_good_day_pct,
    cur.heavy_pollution_days,
    prev.heavy_pollution_days as previous_heavy_pollution_days,
    cur.composite_index,
    prev.composite_index as previous_composite_index,
    cur.pm10_mean > prev.pm10_mean as pm10_up,
    cur.pm2_5_mean > prev.pm2_5_mean as pm2_5_up,
    cur.good_days < prev.good_days as good_days_down,
    (
        cur.pm10_mean > prev.pm10_mean
        and cur.pm2_5_mean > prev.pm2_5_mean
        and cur.good_days < prev.good_days
    ) as two_up_one_down
from stats as cur
inner join stats as prev
    on
        cur.city = prev.city
        and cur.basis = prev.basis
        and cur.events_excluded = prev.events_excluded
        and cur.period_type = prev.period_type
        and prev.period_start = (cur.period_start - interval '1 year')::date
        and prev.period_end = (cur.period_end - interval '1 year')::date
