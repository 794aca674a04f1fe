-- 督查问题整改情况 per county and report month (from inspection_finding): findings, rectified,
-- on time, open, overdue, repeat findings, and the rates. rectification_rate = rectified /
-- findings; overdue_rate = overdue / findings (one decimal, half-even).
-- Lineage: lineage.inspection_rectification_source (the findings of the county and month).
select
    report_month::date as report_month,
    county::text as county,
    count(*)::integer as findings,
    (count(*) filter (where is_rectified))::integer as rectified,
    (count(*) filter (where rectified_on_time))::integer as rectified_on_time,
    (count(*) filter (where not is_rectified))::integer as not_rectified,
    (count(*) filter (where is_overdue))::integer as overdue,
    (count(*) filter (where is_repeat))::integer as repeat_findings,
    {{ round_half_even('100.0 * count(*) filter (where is_rectified) / count(*)', 1) }}::numeric as rectification_rate_pct,
    {{ round_half_even('100.0 * count(*) filter (where is_overdue) / count(*)', 1) }}::numeric as overdue_rate_pct,
    max(status_as_of)::date as status_as_of,
    concat_ws('|', report_month, county)::text as lineage_key
from {{ ref('inspection_finding') }}
group by report_month, county
