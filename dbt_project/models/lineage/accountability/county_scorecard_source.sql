-- 溯源 of marts.county_scorecard: the source records of the facts the scorecard row counts
-- (int_accountability__scorecard_fact: the same rows the score aggregates).
--   select * from lineage.county_scorecard_source where lineage_key = '2026-03-15|洪洞县'
with

facts as (
    select * from {{ ref('int_accountability__scorecard_fact') }}
    where scorecard = 'county_scorecard' and fact is not null
)

{{ lineage_source_records('county_scorecard', 'facts') }}
