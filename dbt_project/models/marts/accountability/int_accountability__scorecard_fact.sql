{{ config(materialized='table', schema='intermediate') }}
-- A table, not a view: a view with parents in two layers was dropped by both parents' rebuilds at
-- once (drop ... cascade), which deadlocked a parallel dbt build.
-- In the marts folder, built in the marts step (it reads the accountability marts); its relation
-- lives in schema intermediate: not a mart, not for BI.
-- The facts behind the two scorecards (county_scorecard, department_scorecard): one row per
-- scorecard row (scorecard, scorecard date, county or department) and source fact counted in
-- it; a scorecard row without any fact has one row with fact null (so it is kept).
-- Both scorecards aggregate these rows and their lineage (lineage.county_scorecard_source,
-- lineage.department_scorecard_source) selects the source records of the same rows, so the
-- score and its lineage cannot drift apart. Facts (decisions, README "Accountability marts"):
-- - task: key_task_status on the scorecard date, led by the county (or by every county,
--   各县（市、区）) / by the department;
-- - finding: inspection_finding of the county / of the responsible department inspected this
--   year up to the date;
-- - action: accountability_action on the department this year up to the date (shown, not scored).
-- The county scorecard's CEMS hours are not facts here (a row per hour and scorecard date grew
-- with hours x dates): int_accountability__scorecard_cems has their figures per scorecard row,
-- from the outlet-days.
-- Scorecard rows: every Sunday of the key-task ledger's weeks x every county
-- (int_accountability__county) / every department (lead units of tasks without a county and
-- responsible units of findings that are not county governments).
{#- per source: scorecard, fact, relation (and join), entity, date, the fact's own columns -#}
{% set fact_columns = {
    'derived_status': 'text', 'rectification_deadline': 'date', 'rectified_on_time': 'boolean',
    'is_rectified': 'boolean', 'rectified_date': 'date', 'is_repeat': 'boolean',
    'is_interview': 'boolean',
} %}
{% set source_columns = [
    ('source_table', 'text'), ('batch_id', 'bigint'), ('source_file', 'text'), ('sheet', 'text'), ('source_row', 'integer')
] %}
{% set finding_columns = ['rectification_deadline', 'rectified_on_time', 'is_rectified', 'rectified_date', 'is_repeat'] %}
{% set sources = [
    ('county_scorecard', 'task', ref('key_task_status') ~ " as s inner join counties as c on s.lead_county = c.county or s.lead_county = '各县（市、区）'",
        'c.county', 's.as_of_date', ['derived_status']),
    ('department_scorecard', 'task', ref('key_task_status') ~ ' as s', 's.lead_unit', 's.as_of_date', ['derived_status']),
    ('county_scorecard', 'finding', ref('inspection_finding') ~ ' as s', 's.county', 's.inspection_date', finding_columns),
    ('department_scorecard', 'finding', ref('inspection_finding') ~ ' as s', 's.responsible_unit', 's.inspection_date', finding_columns),
    ('department_scorecard', 'action', ref('accountability_action') ~ ' as s', 's.target_unit', 's.action_date', ['is_interview']),
] %}
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

departments as (
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
        'county_scorecard' as scorecard,
        d.task_year,
        d.as_of_date,
        c.county as entity
    from dates as d
    cross join counties as c
    union all
    select
        'department_scorecard' as scorecard,
        d.task_year,
        d.as_of_date,
        u.unit as entity
    from dates as d
    cross join departments as u
),

source_fact as (
    {% for scorecard, fact, relation, entity, fact_date, own in sources %}
        select
            '{{ scorecard }}' as scorecard,
            {{ entity }} as entity,
            '{{ fact }}' as fact,
            {{ fact_date }} as fact_date,
            {% for col, type in fact_columns.items() %}
                {{ ('s.' ~ col) if col in own else 'null' }}::{{ type }} as {{ col }},
            {% endfor %}
            'raw.form_record' as source_table,
            s.batch_id,
            s.source_file,
            s.sheet,
            s.source_row
        from {{ relation }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

-- a task counts on its own date, the other facts from 1 January of the scorecard year to the date
select
    g.scorecard::text as scorecard,
    g.task_year::integer as scorecard_year,
    g.as_of_date::date as as_of_date,
    g.entity::text as entity,
    concat_ws('|', g.as_of_date, g.entity)::text as lineage_key,
    f.fact::text as fact,
    {% for col, type in (fact_columns.items() | list) + source_columns %}
        f.{{ col }}::{{ type }} as {{ col }}{% if not loop.last %},{% endif %}
    {% endfor %}
from grid as g
left join source_fact as f
    on
        g.scorecard = f.scorecard
        and g.entity = f.entity
        and g.as_of_date >= f.fact_date
        and case when f.fact = 'task' then g.as_of_date else make_date(g.task_year, 1, 1) end <= f.fact_date
