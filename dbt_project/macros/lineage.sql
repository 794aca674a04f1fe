{#-
  Source-record lineage of the accountability marts (lineage.<mart>_source): one row per mart row
  (its lineage_key) and source record behind it, the columns of lineage_source_record_columns:
  mart, lineage_key, source_table (raw.form_record: batch_id, sheet, source_row = row_number;
  raw.hj212_packet: batch_id, source_row = line_number), batch_id, source_file, sheet, source_row.
  lineage_source_records: from a relation or CTE `rows` carrying lineage_key, source_table,
  batch_id, source_file, sheet and source_row.
  form_row_lineage: a mart whose rows carry the workbook row they come from (or an aggregate of
  such rows: `lineage_key` is then the expression of the aggregate's key over them).
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

{% macro form_row_lineage(mart, relation, lineage_key='lineage_key') -%}
with

form_rows as (
    select
        {{ lineage_key }} as lineage_key,
        'raw.form_record' as source_table,
        batch_id,
        source_file,
        sheet,
        source_row
    from {{ relation }}
)

{{ lineage_source_records(mart, 'form_rows') }}
{%- endmacro %}
