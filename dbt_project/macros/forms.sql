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
