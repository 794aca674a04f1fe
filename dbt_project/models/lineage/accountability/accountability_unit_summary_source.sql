-- 溯源 of marts.accountability_unit_summary: the cases of the unit and month.
--   select * from lineage.accountability_unit_summary_source where lineage_key = :lineage_key
{{ form_row_lineage('accountability_unit_summary', ref('accountability_action'), "concat_ws('|', target_unit, date_trunc('month', action_date)::date)") }}
