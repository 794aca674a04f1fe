-- 溯源 of marts.key_task_unit_status: the ledger rows of the unit's tasks on the date.
--   select * from lineage.key_task_unit_status_source where lineage_key = :lineage_key
{{ form_row_lineage('key_task_unit_status', ref('key_task_status'), "concat_ws('|', task_year, as_of_date, lead_unit)") }}
