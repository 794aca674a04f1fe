{#-
  A bureau form's staging model (models/staging/stg_forms__<form>.sql): the current version's
  rows of `form_id` (stg_forms__record), one column per entry of `columns`, then the lineage of
  the row (batch_id, source_file, sheet, source_row = the Excel row) and submitted_versions.
  An entry `record.field`, `record.field::type`, `record.field as name` or `record.field::type
  as name` reads the typed cell of the record (record ->> 'field', cast to type, named name or
  field); any other entry is a SQL expression over stg_forms__record's columns (period, scope,
  record, raw_cells, ...), as is.
-#}
{% macro stg_form(form_id, columns) -%}
with

source as (
    select * from {{ ref('stg_forms__record') }}
    where form_id = '{{ form_id }}'
)

select
    {%- for entry in columns %}
        {%- if entry.startswith('record.') and ' ' not in entry.replace(' as ', '_') %}
            {%- set field, _, name = entry[7:].partition(' as ') %}
            {%- set key, _, type = field.partition('::') %}
            {%- set cell = "record ->> '" ~ key ~ "'" %}
            {{ ('(' ~ cell ~ ')::' ~ type) if type else cell }} as {{ name or key }},
        {%- else %}
            {{ entry }},
        {%- endif %}
    {%- endfor %}
    batch_id,
    source_file,
    sheet,
    row_number as source_row,
    submitted_versions
from source
{%- endmacro %}

{#-
  Every version of every bureau form row: raw.form_record with its raw.form_submission, the
  submission's version_rank among the workbooks of its (form, period, scope) (1 = the latest
  loaded batch: the current version; a re-sent workbook supersedes the earlier one for the
  periods and scope it reports) and how many were submitted.
  stg_forms__record keeps the current version, int_accountability__form_version all of them.
-#}
{% macro form_record_versions() -%}
    with

    submission as (
        select
            batch_id,
            form_id,
            period,
            scope,
            loaded_at,
            superseded_by_batch,
            superseded_at,
            row_number() over (partition by form_id, period, scope order by batch_id desc) as version_rank,
            count(*) over (partition by form_id, period, scope) as submitted_versions
        from {{ source('forms', 'form_submission') }}
    )

    select
        r.form_id,
        r.period,
        r.scope,
        r.record_key,
        r.record,
        r.raw_cells,
        r.batch_id,
        r.source_file,
        r.sheet,
        r.row_number,
        s.loaded_at,
        s.superseded_by_batch,
        s.superseded_at,
        s.version_rank,
        s.submitted_versions
    from {{ source('forms', 'form_record') }} as r
    inner join submission as s
        on
            r.batch_id = s.batch_id
            and r.form_id = s.form_id
            and r.period = s.period
            and r.scope = s.scope
{%- endmacro %}
