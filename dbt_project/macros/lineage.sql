{#-
  Source-record lineage of the accountability marts (lineage.<mart>_source): one row per mart row
  (its lineage_key) and source record behind it, the columns of lineage_source_record_columns:
  mart, lineage_key, source_table (raw.form_record: batch_id, sheet, source_row = row_number;
  raw.hj212_packet: batch_id, source_row = line_number), batch_id, source_file, sheet, source_row.
  lineage_source_records: from a relation or CTE `rows` carrying lineage_key, source_table,
  batch_id, source_file, sheet and source_row.
  form_row_lineage: a mart whose rows carry the workbook row they come from (or an aggregate of
  such rows: `lineage_key` is then the expression of the aggregate's key over them); `also`:
  further (from clause, lineage_key expression, alias of the workbook row) whose rows are
  sources too (e.g. the findings a cadence row counts).
-#}
{% macro lineage_source_records(mart, rows) -%}
select distinct
    '{{ mart }}'::text as mart,
    lineage_key::text as lineage_key,
    source_table::text as source_table,
    batch_id::bigint as batch_id,
    source_file::text as source_file,
    sheet::text as sheet,
    source_row::integer as source_row
from {{ rows }}
{%- endmacro %}

{% macro form_row_lineage(mart, relation, lineage_key='lineage_key', also=[]) -%}
with

form_rows as (
    {% for source, key, row in [(relation, lineage_key, none)] + also %}
        {%- set r = (row ~ '.') if row else '' %}
        select
            {{ key }} as lineage_key,
            'raw.form_record' as source_table,
            {{ r }}batch_id,
            {{ r }}source_file,
            {{ r }}sheet,
            {{ r }}source_row
        from {{ source }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

{{ lineage_source_records(mart, 'form_rows') }}
{%- endmacro %}
