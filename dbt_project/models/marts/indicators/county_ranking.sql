-- 县区排名: each county's rank among the counties of its city per period, by composite index
-- (ascending: lower is better), PM2.5 mean (ascending) and good-day ratio (descending; exact
-- ratio, not the rounded percentage). Ties share a rank (rank()). Only counties with data in the
-- period are ranked; the components of the composite index are shown so a rank can be explained.
with

stats as (
    select * from {{ ref('county_period_stats') }}
    where period_type in ('week', 'xun', 'month', 'quarter', 'ytd', 'year')
)

select
    city,
    county,
    basis,
    events_excluded,
    period_type,
    period_start,
    period_end,
    count(composite_index) over w as counties_ranked,
    composite_index,
    case when composite_index is not null then rank() over (w order by composite_index asc nulls last) end
        as rank_composite_index,
    ci_so2,
    ci_no2,
    ci_pm10,
    ci_pm2_5,
    ci_co,
    ci_o3,
    pm2_5_mean,
    case when pm2_5_mean is not null then rank() over (w order by pm2_5_mean asc nulls last) end
        as rank_pm2_5,
    good_days,
    aqi_valid_days,
    good_day_pct,
    case when good_day_ratio is not null then rank() over (w order by good_day_ratio desc nulls last) end
        as rank_good_day_ratio
from stats
window w as (partition by city, basis, events_excluded, period_type, period_start)
