-- 城市排名: each city's rank in each peer group (config: city profile peer_groups, e.g. 汾渭平原,
-- the province, the 168 key cities) per period, by composite index (ascending: lower is
-- better), PM2.5 mean (ascending) and good-day ratio (descending; exact ratio, not the rounded
-- percentage). Ties share a rank (rank()). Only cities with data in the period are ranked.
with

stats as (
    select * from {{ ref('city_period_stats') }}
    where period_type in ('month', 'quarter', 'ytd', 'year')
),

groups as (
    select * from {{ ref('stg_reference__peer_group') }}
)

select
    g.group_id,
    g.group_name,
    s.city,
    s.basis,
    s.events_excluded,
    s.period_type,
    s.period_start,
    s.period_end,
    count(s.composite_index) over w as cities_ranked,
    s.composite_index,
    case when s.composite_index is not null then rank() over (w order by s.composite_index asc nulls last) end
        as rank_composite_index,
    s.pm2_5_mean,
    case when s.pm2_5_mean is not null then rank() over (w order by s.pm2_5_mean asc nulls last) end
        as rank_pm2_5,
    s.good_day_pct,
    case when s.good_day_ratio is not null then rank() over (w order by s.good_day_ratio desc nulls last) end
        as rank_good_day_ratio,
    g.source as group_source,
    g.list_year as group_list_year
from stats as s
inner join groups as g on s.city = g.city
window w as (partition by g.group_id, s.basis, s.events_excluded, s.period_type, s.period_start)
