-- 目标进度 (周/旬/月): "一微克一微克、一天一天、一周一周、一旬一旬去争取" (CONTEXT.md): for each city
-- with annual targets, each week, 旬 (days 1-10, 11-20, 21-end) and month of the target year:
-- the period's own PM2.5 mean and good days (official basis, all days: city_period_stats), and
-- the year-to-date position at the period's last loaded day (city_target_progress): YTD PM2.5
-- mean and how many micrograms it moved since the previous period of the same type, the mean the
-- rest of the year may not exceed, good days against a straight-line pace (target x days elapsed
-- / days in the year: a decision, the target itself is annual), heavy-pollution days left.
with

periods as (
    select * from {{ ref('city_period_stats') }}
    where basis = 'in_force' and not events_excluded and period_type in ('week', 'xun', 'month')
),

progress as (
    select * from {{ ref('city_target_progress') }}
),

-- the last loaded day of each period (a period still running is reported as of its latest day)
at_period_end as (
    select
        p.city,
        p.period_type,
        p.period_start,
        p.period_end,
        p.days_with_data,
        p.pm2_5_mean,
        p.pm2_5_valid_days,
        p.good_days,
        p.aqi_valid_days,
        p.heavy_pollution_days,
        t.*
    from periods as p
    inner join lateral (
        select
            g.target_year,
            g.as_of_date,
            g.days_in_year,
            g.days_left,
            g.pm2_5_target,
            g.pm2_5_ytd_mean,
            g.pm2_5_allowed_mean_rest_of_year,
            g.good_days_target,
            g.good_days as ytd_good_days,
            g.good_days_still_needed,
            g.heavy_days_max,
            g.heavy_pollution_days as ytd_heavy_pollution_days,
            g.heavy_pollution_days_left,
            g.target_source
        from progress as g
        where g.city = p.city and g.as_of_date between p.period_start and p.period_end
        order by g.as_of_date desc
        limit 1
    ) as t on true
),

paced as (
    select
        *,
        days_in_year - days_left as days_elapsed,
        lag(pm2_5_ytd_mean) over (
            partition by city, target_year, period_type order by period_start
        ) as previous_pm2_5_ytd_mean
    from at_period_end
)

select
    city,
    target_year,
    period_type,
    period_start,
    period_end,
    as_of_date,
    as_of_date < period_end as is_period_running,
    days_with_data,
    pm2_5_target,
    pm2_5_mean as period_pm2_5_mean,
    pm2_5_valid_days as period_pm2_5_valid_days,
    pm2_5_mean <= pm2_5_target as period_pm2_5_within_target,
    pm2_5_ytd_mean,
    pm2_5_ytd_mean - previous_pm2_5_ytd_mean as pm2_5_ytd_mean_change,
    pm2_5_allowed_mean_rest_of_year,
    good_days_target,
    good_days as period_good_days,
    aqi_valid_days as period_aqi_valid_days,
    ytd_good_days,
    days_elapsed,
    ceil(good_days_target * days_elapsed / days_in_year)::integer as good_days_pace,
    ytd_good_days - ceil(good_days_target * days_elapsed / days_in_year)::integer as good_days_ahead_of_pace,
    good_days_still_needed,
    heavy_days_max,
    heavy_pollution_days as period_heavy_pollution_days,
    ytd_heavy_pollution_days,
    heavy_pollution_days_left,
    target_source
from paced
