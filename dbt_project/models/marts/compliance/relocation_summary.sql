-- 退城入园 against plan, per monthly ledger (relocation_progress): the var
-- ('relocation_planned_enterprises') = 77 enterprises of the plan (speech) against the projects
-- listed, old sites closed and new sites producing, and the overdue milestones.
{% set planned = var('relocation_planned_enterprises', 77) %}
select
    report_month::date as report_month,
    max(as_of_date)::date as as_of_date,
    {{ planned }}::integer as planned_enterprises,
    count(*)::integer as projects_listed,
    count(*) filter (where closure_state = 'done')::integer as closed,
    count(*) filter (where production_state = 'done')::integer as producing,
    count(*) filter (where closure_state = 'overdue')::integer as closure_overdue,
    count(*) filter (where production_state = 'overdue')::integer as production_overdue,
    count(*) filter (where progress = 'behind')::integer as behind,
    count(*) filter (where progress = 'not_started')::integer as not_started,
    round(100.0 * count(*) filter (where closure_state = 'done') / {{ planned }}, 2)::numeric
        as closed_pct_of_plan,
    round(100.0 * count(*) filter (where production_state = 'done') / {{ planned }}, 2)::numeric
        as producing_pct_of_plan,
    array_agg(distinct batch_id order by batch_id)::bigint[] as batch_ids
from {{ ref('relocation_progress') }}
group by report_month
