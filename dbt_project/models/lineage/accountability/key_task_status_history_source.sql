-- 溯源 of marts.key_task_status_history: the ledger row of each version.
--   select * from lineage.key_task_status_history_source where lineage_key = :lineage_key
{{ form_row_lineage('key_task_status_history', ref('key_task_status_history')) }}
