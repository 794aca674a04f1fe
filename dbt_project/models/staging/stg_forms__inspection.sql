-- 督查问题清单 (ingest/forms/inspection.yaml), current version: one row per inspection finding.
{{ stg_form('inspection', [
    "to_date(period, 'YYYY-MM') as report_month",
    'record.issue_no', 'record.inspection_date::date', 'record.inspection_type', 'record.leader',
    'record.county', 'record.location', 'record.finding', 'record.responsible_unit',
    'record.rectification_deadline::date', 'record.rectification_status',
    'record.rectified_date::date',
]) }}
