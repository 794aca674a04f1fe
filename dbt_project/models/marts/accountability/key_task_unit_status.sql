-- 重点任务按牵头单位: per year, date and lead unit, how many of its tasks are done, on schedule,
-- behind or overdue (from key_task_status). lead_county is the county a county government
-- leads for, 各县（市、区） for the tasks every county government leads, null for city bureaus.
-- Lineage: lineage.key_task_unit_status_source (the ledger rows of the unit's tasks that date).
select
    task_year::integer as task_year,
    as_of_date::date as as_of_date,
    lead_unit::text as lead_unit,
    max(lead_county)::text as lead_county,
    count(*)::integer as tasks,
    (count(*) filter (where derived_status = 'done'))::integer as done,
    (count(*) filter (where derived_status = 'on_schedule'))::integer as on_schedule,
    (count(*) filter (where derived_status = 'behind'))::integer as behind,
    (count(*) filter (where derived_status = 'overdue'))::integer as overdue,
    (count(*) filter (where reported_status = '滞后'))::integer as reported_behind,
    {{ round_half_even("100.0 * count(*) filter (where derived_status in ('done', 'on_schedule')) / count(*)", 1) }}::numeric
        as on_track_pct,
    concat_ws('|', task_year, as_of_date, lead_unit)::text as lineage_key
from {{ ref('key_task_status') }}
group by task_year, as_of_date, lead_unit
