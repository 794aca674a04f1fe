-- 溯源 of marts.county_scorecard: the source records of the facts the scorecard row counts
-- (the same rows the score aggregates): its tasks and findings (int_accountability__scorecard_fact)
-- and its CEMS hours: the outlet-days of the county in the row's window
-- (int_accountability__cems_outlet_day, macro scorecard_cems_window, as
-- int_accountability__scorecard_cems counts them), expanded here, on demand, to their rows of
-- marts.cems_outlet_hour (index device_mn, obs_date) and those rows' packets.
--   select * from lineage.county_scorecard_source where lineage_key = '2026-03-15|洪洞县'
with

facts as (
    select
        lineage_key,
        source_table,
        batch_id,
        source_file,
        sheet,
        source_row
    from {{ ref('int_accountability__scorecard_fact') }}
    where scorecard = 'county_scorecard' and fact is not null
),

scorecard_rows as (
    select distinct
        scorecard_year,
        as_of_date,
        entity as county,
        lineage_key
    from {{ ref('int_accountability__scorecard_fact') }}
    where scorecard = 'county_scorecard'
),

cems_hours as (
    select
        s.lineage_key,
        'raw.hj212_packet' as source_table,
        h.batch_id,
        h.source_file,
        null::text as sheet,
        h.line_number as source_row
    from scorecard_rows as s
    inner join {{ ref('int_accountability__cems_outlet_day') }} as d
        on {{ scorecard_cems_window('s', 'd') }}
    inner join {{ ref('cems_outlet_hour') }} as h
        on d.device_mn = h.device_mn and d.obs_date = h.obs_date
),

source_rows as (
    select * from facts
    union all
    select * from cems_hours
)

{{ lineage_source_records('county_scorecard', 'source_rows') }}
