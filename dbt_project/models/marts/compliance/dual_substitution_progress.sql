-- 清洁取暖“双替代” (gas / electricity for coal) against plan, per monthly report, county and mode
-- (stg_forms__dual_substitution, current version of each county's workbook), with county totals
-- (substitution_mode '合计') and city totals (county '全市'). The rate is recomputed from the
-- households (completed / planned), not taken from the bureau's 完成率; rows whose reported rate
-- differs from it by more than 0.1 point are counted.
with

villages as (
    select
        *,
        batch_id::text || ':' || sheet || ':' || source_row as source_key
    from {{ ref('stg_forms__dual_substitution') }}
)

select
    report_month::date as report_month,
    coalesce(county, '全市')::text as county,
    coalesce(substitution_mode, '合计')::text as substitution_mode,
    count(*)::integer as villages,
    sum(planned_households)::integer as planned_households,
    sum(completed_households)::integer as completed_households,
    round(100.0 * sum(completed_households) / nullif(sum(planned_households), 0), 2)::numeric
        as completion_pct,
    count(*) filter (where completed_households >= planned_households)::integer as villages_completed,
    count(*) filter (where acceptance_date is not null)::integer as villages_accepted,
    count(*) filter (
        where abs(completion_rate_pct - 100.0 * completed_households / nullif(planned_households, 0)) > 0.1
    )::integer as reported_rate_mismatches,
    array_agg(source_key order by source_key)::text[] as source_rows
from villages
group by grouping sets (
    (report_month, county, substitution_mode),
    (report_month, county),
    (report_month, substitution_mode),
    (report_month)
)
