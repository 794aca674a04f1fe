-- 约谈问责 (ingest/forms/accountability.yaml), current version: one row per interview,
-- accountability decision, public exposure or negative-list entry.
{{ stg_form('accountability', [
    "to_date(period, 'YYYY-MM') as report_month",
    'record.case_no', 'record.action_date::date', 'record.target_unit', 'record.target_post',
    'record.action_type', 'record.reason', 'record.media_published::boolean', 'record.media_name',
    'record.negative_list::boolean',
]) }}
