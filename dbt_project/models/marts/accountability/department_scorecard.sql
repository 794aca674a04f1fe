-- 市直部门考评: per city department and scorecard date (each Sunday of the key-task ledger's
-- weeks): the key tasks it leads (tasks component: 100 * (done + on schedule) / tasks, from
-- key_task_status) and the inspection findings it is responsible for (rectification
-- component: 100 * rectified on time / findings whose deadline passed, this year, from
-- inspection_finding), the composite (weighted mean of the components present, weights
-- scorecard_weight_tasks / _rectification) and the rank among departments; the year's
-- interviews and other accountability cases of the department are shown, not scored.
-- Departments: lead units and responsible units that are not county governments.
-- The rows counted: int_accountability__scorecard_fact; their source records:
-- lineage.department_scorecard_source.
{% set components = ['tasks', 'rectification'] %}
with

-- the department's tasks, findings and accountability cases of each scorecard date
counts as (
    select
        scorecard_year as task_year,
        as_of_date,
        entity as unit,
        {{ scorecard_task_counts() }}
        {{ scorecard_due_finding_counts() }}
        count(*) filter (where fact = 'action') as accountability_cases_ytd,
        count(*) filter (where fact = 'action' and is_interview) as interviews_ytd
    from {{ ref('int_accountability__scorecard_fact') }}
    where scorecard = 'department_scorecard'
    group by scorecard_year, as_of_date, entity
),

scored as (
    select
        c.*,
        {{ scorecard_component_scores('c') }}
    from counts as c
),

{{ scorecard_composite_cte(components) }}

select
    {{ scorecard_ranking_columns('unit', 'unit_rank', 'units_ranked', components) }}
    tasks_score::numeric as tasks_score,
    {{ scorecard_task_count_columns() }}
    rectification_score::numeric as rectification_score,
    (case
        when rectification_score is null then
            'no inspection finding of the department with a deadline before the date'
    end)::text as rectification_null_reason,
    findings_due::integer as findings_due,
    findings_rectified_on_time::integer as findings_rectified_on_time,
    accountability_cases_ytd::integer as accountability_cases_ytd,
    interviews_ytd::integer as interviews_ytd,
    concat_ws('|', as_of_date, unit)::text as lineage_key  -- as int_accountability__scorecard_fact
from composite
window ranking as (partition by as_of_date order by composite_score desc nulls last)
