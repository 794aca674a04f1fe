-- 退城入园推进台账 (ingest/forms/relocation.yaml), current version: one row per project and month
-- with its milestones (planned dates null when the ledger says 待定).
{{ stg_form('relocation', [
    "to_date(period, 'YYYY-MM') as report_month",
    'record.project_no', 'record.enterprise_name', 'record.credit_code', 'record.county',
    'record.industry', 'record.target_park', 'record.agreement_date::date',
    'record.closure_planned::date', 'record.closure_done::date', 'record.production_planned::date',
    'record.production_done::date', 'record.status', 'record.progress_note',
]) }}
