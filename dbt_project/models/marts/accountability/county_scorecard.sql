-- 县（市、区）综合考评: per county and scorecard date (each Sunday of the key-task ledger's
-- weeks), four components on a 0-100 scale (higher is better), the raw figures behind each, a
-- composite and the rank. Components (decisions, README "Accountability marts"):
-- - indicators: share of three checks met, year to date (int_accountability__county_indicator):
--   PM2.5 below last year, PM2.5 within the county target, good days above last year;
-- - compliance: CEMS outlet hours of the county's enterprises this year to the date
--   (marts.cems_outlet_hour): 100 * (valid hours - exceedance hours) / valid hours;
-- - tasks: key tasks led by the county government or by every county (各县（市、区）政府)
--   on the date (marts.key_task_status): 100 * (done + on schedule) / tasks;
-- - rectification: findings in the county this year whose deadline passed before the date
--   (marts.inspection_finding): 100 * rectified on time / findings due.
-- A component without data is null with its *_null_reason; the composite is the weighted mean
-- of the components present (weights: vars scorecard_weight_*), components_used lists them;
-- counties are ranked by composite (highest first, ties share a rank).
-- The rows counted: int_accountability__scorecard_fact (tasks, findings) and
-- int_accountability__scorecard_cems (the CEMS figures, from the outlet-days); their source
-- records (task, finding and CEMS rows behind each row): lineage.county_scorecard_source.
{% set components = ['indicators', 'compliance', 'tasks', 'rectification'] %}
with

-- the county's tasks and findings of each scorecard date
counts as (
    select
        scorecard_year as task_year,
        as_of_date,
        entity as county,
        {{ scorecard_task_counts() }}
        count(*) filter (where fact = 'finding') as findings_to_date,
        {{ scorecard_due_finding_counts() }}
        count(*) filter (
            where fact = 'finding'
            and rectification_deadline < as_of_date
            and not (is_rectified and rectified_date <= as_of_date)
        ) as findings_overdue_open,
        count(*) filter (where fact = 'finding' and is_repeat) as repeat_findings
    from {{ ref('int_accountability__scorecard_fact') }}
    where scorecard = 'county_scorecard'
    group by scorecard_year, as_of_date, entity
),

targets as (
    select
        target_year,
        area as county,
        max(target_value) filter (where indicator = 'pm2_5_annual_mean') as pm2_5_target
    from {{ ref('stg_forms__annual_target') }}
    group by target_year, area
),

scored as (
    select
        g.task_year,
        g.as_of_date,
        g.county,
        i.pm2_5_ytd_mean,
        i.pm2_5_ytd_mean_last_year,
        coalesce(i.pm2_5_target, tg.pm2_5_target) as pm2_5_target,
        i.good_days_ytd,
        i.good_days_ytd_last_year,
        case when i.county is not null then {{ round_half_even(
            '100.0 * ((i.pm2_5_ytd_mean < i.pm2_5_ytd_mean_last_year)::int'
            ~ ' + (i.pm2_5_ytd_mean <= coalesce(i.pm2_5_target, tg.pm2_5_target))::int'
            ~ ' + (i.good_days_ytd > i.good_days_ytd_last_year)::int) / 3', 1) }} end as indicators_score,
        coalesce(c.cems_outlets, 0) as cems_outlets,
        coalesce(c.cems_valid_hours, 0) as cems_valid_hours,
        coalesce(c.cems_exceedance_hours, 0) as cems_exceedance_hours,
        case when coalesce(c.cems_valid_hours, 0) > 0 then {{ round_half_even(
            '100.0 * (c.cems_valid_hours - c.cems_exceedance_hours) / c.cems_valid_hours', 1) }} end
            as compliance_score,
        g.tasks,
        g.tasks_done,
        g.tasks_on_schedule,
        g.tasks_behind,
        g.tasks_overdue,
        g.findings_to_date,
        g.findings_due,
        g.findings_rectified_on_time,
        g.findings_overdue_open,
        g.repeat_findings,
        {{ scorecard_component_scores('g') }},
        i.indicator_source
    from counts as g
    -- the county's CEMS outlet hours of the year to the date (a row per scorecard row)
    left join {{ ref('int_accountability__scorecard_cems') }} as c
        on g.task_year = c.scorecard_year and g.as_of_date = c.as_of_date and g.county = c.county
    -- the county's latest day with figures up to the scorecard date (same year)
    left join lateral (
        select ci.*
        from {{ ref('int_accountability__county_indicator') }} as ci
        where
            ci.county = g.county
            and ci.as_of_date between make_date(g.task_year, 1, 1) and g.as_of_date
        order by ci.as_of_date desc
        limit 1
    ) as i on true
    left join targets as tg on g.county = tg.county and g.task_year = tg.target_year
),

{{ scorecard_composite_cte(components) }}

select
    {{ scorecard_ranking_columns('county', 'county_rank', 'counties_ranked', components) }}
    indicators_score::numeric as indicators_score,
    (case
        when indicators_score is null then
            'no county PM2.5 / good-day figures for this date and the same period last year (no station '
            || 'of the county in the reference list, or no valid data): int_accountability__county_indicator'
    end)::text as indicators_null_reason,
    pm2_5_ytd_mean::numeric as pm2_5_ytd_mean,
    pm2_5_ytd_mean_last_year::numeric as pm2_5_ytd_mean_last_year,
    pm2_5_target::numeric as pm2_5_target,
    good_days_ytd::integer as good_days_ytd,
    good_days_ytd_last_year::integer as good_days_ytd_last_year,
    compliance_score::numeric as compliance_score,
    (case
        when compliance_score is null then
            'no valid CEMS outlet hour of the county''s enterprises this year'
    end)::text as compliance_null_reason,
    cems_outlets::integer as cems_outlets,
    cems_valid_hours::integer as cems_valid_hours,
    cems_exceedance_hours::integer as cems_exceedance_hours,
    tasks_score::numeric as tasks_score,
    (case when tasks_score is null then 'no key task led by the county' end)::text as tasks_null_reason,
    {{ scorecard_task_count_columns() }}
    rectification_score::numeric as rectification_score,
    (case
        when rectification_score is null then
            'no inspection finding of the county with a deadline before the date'
    end)::text as rectification_null_reason,
    findings_to_date::integer as findings_to_date,
    findings_due::integer as findings_due,
    findings_rectified_on_time::integer as findings_rectified_on_time,
    findings_overdue_open::integer as findings_overdue_open,
    repeat_findings::integer as repeat_findings,
    indicator_source::text as indicator_source,
    concat_ws('|', as_of_date, county)::text as lineage_key  -- as int_accountability__scorecard_fact
from composite
window ranking as (partition by as_of_date order by composite_score desc nulls last)
