-- 市直部门考评: per city department and scorecard date (each Sunday of the key-task ledger's
-- weeks): the key tasks it leads (tasks component: 100 * (done + on schedule) / tasks, from
-- key_task_status) and the inspection findings it is responsible for (rectification
-- component: 100 * rectified on time / findings whose deadline passed, this year, from
-- inspection_finding), the composite (weighted mean of the components present, weights
-- scorecard_weight_tasks / _rectification) and the rank among departments; the year's
-- interviews and other accountability cases of the department are shown, not scored.
-- Departments: lead units and responsible units that are not county governments.
-- Lineage: marts.accountability_source_record.
{% set w_tasks = var('scorecard_weight_tasks') %}
{% set w_rect = var('scorecard_weight_rectification') %}
with

dates as (
    select distinct
        task_year,
        as_of_date
    from {{ ref('key_task_status') }}
    where extract(isodow from as_of_date) = 7
),

counties as (
    select county from {{ ref('int_accountability__county') }}
),

units as (
    select lead_unit as unit from {{ ref('key_task_status') }}
    where lead_county is null
    union
    select f.responsible_unit from {{ ref('inspection_finding') }} as f
    where not exists (
        select 1 from counties as c
        where f.responsible_unit like c.county || '%'
    )
),

grid as (
    select
        d.task_year,
        d.as_of_date,
        u.unit
    from dates as d
    cross join units as u
),

tasks as (
    select
        g.as_of_date,
        g.unit,
        count(*) as tasks,
        count(*) filter (where t.derived_status = 'done') as tasks_done,
        count(*) filter (where t.derived_status = 'on_schedule') as tasks_on_schedule,
        count(*) filter (where t.derived_status = 'behind') as tasks_behind,
        count(*) filter (where t.derived_status = 'overdue') as tasks_overdue
    from grid as g
    inner join {{ ref('key_task_status') }} as t
        on g.as_of_date = t.as_of_date and g.unit = t.lead_unit
    group by g.as_of_date, g.unit
),

findings as (
    select
        g.as_of_date,
        g.unit,
        count(*) filter (where f.rectification_deadline < g.as_of_date) as findings_due,
        count(*) filter (where f.rectification_deadline < g.as_of_date and f.rectified_on_time)
            as findings_rectified_on_time
    from grid as g
    inner join {{ ref('inspection_finding') }} as f
        on
            g.unit = f.responsible_unit
            and g.as_of_date >= f.inspection_date
            and f.inspection_date >= make_date(g.task_year, 1, 1)
    group by g.as_of_date, g.unit
),

cases as (
    select
        g.as_of_date,
        g.unit,
        count(*) as accountability_cases_ytd,
        count(*) filter (where a.is_interview) as interviews_ytd
    from grid as g
    inner join {{ ref('accountability_action') }} as a
        on
            g.unit = a.target_unit
            and g.as_of_date >= a.action_date
            and a.action_date >= make_date(g.task_year, 1, 1)
    group by g.as_of_date, g.unit
),

scored as (
    select
        g.task_year,
        g.as_of_date,
        g.unit,
        coalesce(t.tasks, 0) as tasks,
        coalesce(t.tasks_done, 0) as tasks_done,
        coalesce(t.tasks_on_schedule, 0) as tasks_on_schedule,
        coalesce(t.tasks_behind, 0) as tasks_behind,
        coalesce(t.tasks_overdue, 0) as tasks_overdue,
        case when t.tasks > 0 then {{ round_half_even(
            '100.0 * (t.tasks_done + t.tasks_on_schedule) / t.tasks', 1) }} end as tasks_score,
        coalesce(f.findings_due, 0) as findings_due,
        coalesce(f.findings_rectified_on_time, 0) as findings_rectified_on_time,
        case when f.findings_due > 0 then {{ round_half_even(
            '100.0 * f.findings_rectified_on_time / f.findings_due', 1) }} end as rectification_score,
        coalesce(c.accountability_cases_ytd, 0) as accountability_cases_ytd,
        coalesce(c.interviews_ytd, 0) as interviews_ytd
    from grid as g
    left join tasks as t on g.unit = t.unit and g.as_of_date = t.as_of_date
    left join findings as f on g.unit = f.unit and g.as_of_date = f.as_of_date
    left join cases as c on g.unit = c.unit and g.as_of_date = c.as_of_date
),

composite as (
    select
        s.*,
        {{ round_half_even(
            '(coalesce(' ~ w_tasks ~ ' * s.tasks_score, 0) + coalesce(' ~ w_rect ~ ' * s.rectification_score, 0))'
            ~ ' / nullif(case when s.tasks_score is not null then ' ~ w_tasks ~ ' else 0 end'
            ~ ' + case when s.rectification_score is not null then ' ~ w_rect ~ ' else 0 end, 0)', 1) }}
            as composite_score
    from scored as s
)

select
    task_year::integer as scorecard_year,
    as_of_date::date as as_of_date,
    unit::text as unit,
    composite_score::numeric as composite_score,
    (case when composite_score is not null then rank() over ranking end)::integer as unit_rank,
    (count(composite_score) over (partition by as_of_date))::integer as units_ranked,
    concat_ws(
        ', ',
        case when tasks_score is not null then 'tasks' end,
        case when rectification_score is not null then 'rectification' end
    )::text as components_used,
    tasks_score::numeric as tasks_score,
    tasks::integer as tasks,
    tasks_done::integer as tasks_done,
    tasks_on_schedule::integer as tasks_on_schedule,
    tasks_behind::integer as tasks_behind,
    tasks_overdue::integer as tasks_overdue,
    rectification_score::numeric as rectification_score,
    (case
        when rectification_score is null then
            'no inspection finding of the department with a deadline before the date'
    end)::text as rectification_null_reason,
    findings_due::integer as findings_due,
    findings_rectified_on_time::integer as findings_rectified_on_time,
    accountability_cases_ytd::integer as accountability_cases_ytd,
    interviews_ytd::integer as interviews_ytd,
    concat_ws('|', as_of_date, unit)::text as lineage_key
from composite
window ranking as (partition by as_of_date order by composite_score desc nulls last)
