-- 溯源 of marts.key_task_status: the ledger row (raw.form_record) behind each task-day.
--   select * from lineage.key_task_status_source where lineage_key = :lineage_key
{{ form_row_lineage('key_task_status', ref('key_task_status')) }}
