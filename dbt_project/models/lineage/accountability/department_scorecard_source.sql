-- 溯源 of marts.department_scorecard: the source records of the facts the scorecard row counts
-- (int_accountability__scorecard_fact: the same rows the score aggregates).
--   select * from lineage.department_scorecard_source where lineage_key = :lineage_key
with

facts as (
    select * from {{ ref('int_accountability__scorecard_fact') }}
    where scorecard = 'department_scorecard' and fact is not null
)

{{ lineage_source_records('department_scorecard', 'facts') }}
