{#-
  Key-task status as of a date (重点任务 序时进度), decisions where the city's plan is silent
  (configurable in dbt_project.yml vars, stated in the README):
  - expected progress is the straight line from 1 January of the task's year to its deadline
    (a task "长期坚持" without a date: to 31 December, as the ledger's note says: "按年度序时
    进度考核"), in percent, one decimal (GB/T 8170 half-even);
  - done: reported 已完成 or progress 100 %;
  - overdue: not done and the date is after the deadline;
  - behind: not done, not overdue, and reported 滞后 or progress more than
    var('key_task_behind_tolerance_pct') points below the expected progress;
  - on_schedule: otherwise.
-#}
{% macro key_task_expected_pct(deadline, as_of_date, task_year) -%}
    {%- set year_start = 'make_date(' ~ task_year ~ ', 1, 1)' -%}
    {%- set due = 'coalesce(' ~ deadline ~ ', make_date(' ~ task_year ~ ', 12, 31))' -%}
    (
        case
            when {{ due }} <= {{ year_start }} or {{ as_of_date }} >= {{ due }} then 100.0
            when {{ as_of_date }} <= {{ year_start }} then 0.0
            else {{ round_half_even('100.0 * (' ~ as_of_date ~ ' - ' ~ year_start ~ ') / (' ~ due ~ ' - ' ~ year_start ~ ')', 1) }}
        end
    )
{%- endmacro %}

{% macro key_task_status(reported_status, progress_pct, deadline, as_of_date, expected_pct) -%}
    (
        case
            when {{ reported_status }} = '已完成' or {{ progress_pct }} >= 100 then 'done'
            when {{ deadline }} is not null and {{ as_of_date }} > {{ deadline }} then 'overdue'
            when
                {{ reported_status }} = '滞后'
                or coalesce({{ progress_pct }}, 0) < {{ expected_pct }} - {{ var('key_task_behind_tolerance_pct') }}
                then 'behind'
            else 'on_schedule'
        end
    )
{%- endmacro %}

{% macro key_task_status_label(status) -%}
    (
        case {{ status }}
            when 'done' then '已完成'
            when 'on_schedule' then '序时推进'
            when 'behind' then '滞后'
            when 'overdue' then '逾期未完成'
        end
    )
{%- endmacro %}
