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

{#- The CTE `composite`: the rows of `scored` with their composite_score. -#}
{% macro scorecard_composite_cte(components) -%}
composite as (
    select
        s.*,
        {{ scorecard_composite(components) }} as composite_score
    from scored as s
)
{%- endmacro %}

{#-
  The first columns of a scorecard: year, date, the entity (county / unit), the composite, its
  rank among the entities of the date (1 = best, ties share; null without a composite; window
  `ranking`), how many were ranked and the components used.
-#}
{% macro scorecard_ranking_columns(entity, rank_column, ranked_column, components) -%}
    task_year::integer as scorecard_year,
    as_of_date::date as as_of_date,
    {{ entity }}::text as {{ entity }},
    composite_score::numeric as composite_score,
    (case when composite_score is not null then rank() over ranking end)::integer as {{ rank_column }},
    (count(composite_score) over (partition by as_of_date))::integer as {{ ranked_column }},
    {{ scorecard_components_used(components) }}::text as components_used,
{%- endmacro %}

{#- The task counts of a scorecard row, typed. -#}
{% macro scorecard_task_count_columns() -%}
    {%- for col in ['tasks', 'tasks_done', 'tasks_on_schedule', 'tasks_behind', 'tasks_overdue'] %}
        {{ col }}::integer as {{ col }},
    {%- endfor %}
{%- endmacro %}

{#-
  The CEMS days a county scorecard row counts (decisions, README "Accountability marts"): the
  county's days from 1 January of the scorecard year to the date. `s`: the scorecard row
  (scorecard_year, as_of_date, county); `d`: the days (county, obs_date). One home for the
  figures (int_accountability__scorecard_cems) and their lineage (lineage.county_scorecard_source).
-#}
{% macro scorecard_cems_window(s, d) -%}
    {{ s }}.county = {{ d }}.county
    and {{ d }}.obs_date >= make_date({{ s }}.scorecard_year, 1, 1)
    and {{ d }}.obs_date <= {{ s }}.as_of_date
{%- endmacro %}
