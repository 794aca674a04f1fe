{#-
  The scorecards (county_scorecard, department_scorecard) aggregate the rows of
  int_accountability__scorecard_fact per scorecard row; these macros are their common parts
  (decisions, README "Accountability marts"):
  scorecard_task_counts: key tasks counted on the date, by derived status;
  scorecard_due_finding_counts: findings whose deadline passed before the date, rectified on time;
  scorecard_component_scores: tasks_score = 100 * (done + on schedule) / tasks, rectification_score
    = 100 * rectified on time / findings due (null without tasks / findings due), one decimal;
  scorecard_composite: the weighted mean of the components present (vars scorecard_weight_*),
    null without any component;
  scorecard_components_used: the components present, comma separated.
-#}
{% macro scorecard_task_counts() -%}
    count(*) filter (where fact = 'task') as tasks,
    {%- for status in ['done', 'on_schedule', 'behind', 'overdue'] %}
        count(*) filter (where fact = 'task' and derived_status = '{{ status }}') as tasks_{{ status }},
    {%- endfor %}
{%- endmacro %}

{% macro scorecard_due_finding_counts() -%}
    count(*) filter (where fact = 'finding' and rectification_deadline < as_of_date) as findings_due,
    count(*) filter (where fact = 'finding' and rectification_deadline < as_of_date and rectified_on_time)
    as findings_rectified_on_time,
{%- endmacro %}

{% macro scorecard_component_scores(s='s') -%}
    case when {{ s }}.tasks > 0 then {{ round_half_even(
        '100.0 * (' ~ s ~ '.tasks_done + ' ~ s ~ '.tasks_on_schedule) / ' ~ s ~ '.tasks', 1) }} end as tasks_score,
    case when {{ s }}.findings_due > 0 then {{ round_half_even(
        '100.0 * ' ~ s ~ '.findings_rectified_on_time / ' ~ s ~ '.findings_due', 1) }} end as rectification_score
{%- endmacro %}

{% macro scorecard_composite(components, s='s') -%}
    {%- set weighted_sum = [] -%}
    {%- set weight_sum = [] -%}
    {%- for component in components -%}
        {%- set weight = var('scorecard_weight_' ~ component) -%}
        {%- do weighted_sum.append('coalesce(' ~ weight ~ ' * ' ~ s ~ '.' ~ component ~ '_score, 0)') -%}
        {%- do weight_sum.append('case when ' ~ s ~ '.' ~ component ~ '_score is not null then ' ~ weight ~ ' else 0 end') -%}
    {%- endfor -%}
    {{ round_half_even('(' ~ weighted_sum | join(' + ') ~ ') / nullif(' ~ weight_sum | join(' + ') ~ ', 0)', 1) }}
{%- endmacro %}

{% macro scorecard_components_used(components) -%}
    {%- set present = [] -%}
    {%- for component in components -%}
        {%- do present.append("case when " ~ component ~ "_score is not null then '" ~ component ~ "' end") -%}
    {%- endfor -%}
    concat_ws(', ', {{ present | join(', ') }})
{%- endmacro %}
