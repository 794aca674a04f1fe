-- 溯源 of marts.accountability_action: the row of the 约谈问责 form behind each case.
--   select * from lineage.accountability_action_source where lineage_key = :lineage_key
{{ form_row_lineage('accountability_action', ref('accountability_action')) }}
